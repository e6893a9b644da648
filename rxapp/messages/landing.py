"""Strings of the pages' useful defaults (issue 15): the party members' list
with their open items, the team scores leaders read, the board's default."""

ZH = {
    "public.party.members_title": "党员及联系户未办结诉求",
    "public.party.col.member": "党员",
    "public.party.col.households": "联系户数",
    "public.party.col.open": "未办结",
    "public.party.col.overdue": "其中超期",
    "public.ts.read_heading": "团队月度评价（本辖区）",
    "public.ts.read_help": "各服务团队的自评、互评与户代表评价，按月汇总；默认上一个完整月份。",
    "public.ts.month": "月份",
    "public.board.default_note": "默认显示有诉求的第一个社区最近一期公示；可选择其他区域。",
}

EN = {
    "public.party.members_title": "Party members and their households' open requests",
    "public.party.col.member": "Party member",
    "public.party.col.households": "Linked households",
    "public.party.col.open": "Open",
    "public.party.col.overdue": "Of which overdue",
    "public.ts.read_heading": "Monthly team scores (your area)",
    "public.ts.read_help": "Self, peer and household-representative scores of each service team, by month; the last full month by default.",
    "public.ts.month": "Month",
    "public.board.default_note": "Showing the latest board of the first community with requests; pick another area to change it.",
}
