"""Strings of the shared paged list (pager, page jump, page size)."""

ZH = {
    "lists.pager.jump": "跳至",
    "lists.pager.jump_label": "跳转到第几页",
    "lists.pager.go": "前往",
    "lists.pager.size": "每页",
    "lists.pager.size_label": "每页条数",
    "lists.pager.first": "第一页",
    "lists.pager.last": "最后一页",
    "lists.search.placeholder_phone": "搜索诉求内容、编号或来电号码",
    "lists.sms.any": "全部{what}",
    "lists.sms.code": "诉求编号",
    "lists.sms.day": "日期",
    "lists.sms.search": "查询",
    "lists.sms.close": "关闭",
    "cases.view.follow_up": "待回访",
    "lists.follow_up.note": "已办结、尚未回访的诉求，按办结时间从早到晚；回访期限为办结后3个工作日。",
    "lists.follow_up.deadline": "回访期限",
}

EN = {
    "lists.pager.jump": "Go to",
    "lists.pager.jump_label": "Go to page number",
    "lists.pager.go": "Go",
    "lists.pager.size": "Per page",
    "lists.pager.size_label": "Rows per page",
    "lists.pager.first": "First page",
    "lists.pager.last": "Last page",
    "lists.search.placeholder_phone": "Search content, case code or caller's phone",
    "lists.sms.any": "Any {what}",
    "lists.sms.code": "Case code",
    "lists.sms.day": "Date",
    "lists.sms.search": "Search",
    "lists.sms.close": "Close",
    "cases.view.follow_up": "Follow-up due",
    "lists.follow_up.note": "Resolved cases not yet followed up, oldest resolution first; the follow-up is due 3 working days after resolving.",
    "lists.follow_up.deadline": "Follow-up due",
}
