"""Intake assistance on /cases/new: caller history, possible duplicates."""

ZH = {
    "intake.history": "来电人历史诉求",
    "intake.duplicates": "可能重复",
    "intake.duplicates_hint": "近30天同一电话或同一社区内相似内容的在办诉求；点“关联”后提交，新诉求将并入该件办理",
    "intake.link": "关联",
    "intake.linked": "已关联",
    "intake.will_link": "提交后标记为重复件，并入：",
    "intake.hotspot": "热点",
}
EN = {
    "intake.history": "This caller's earlier requests",
    "intake.duplicates": "Possible duplicates",
    "intake.duplicates_hint": "Open requests of the last 30 days from this phone or with similar text in the community; Link, then submit, and the new request is merged into it",
    "intake.link": "Link",
    "intake.linked": "Linked",
    "intake.will_link": "On submit, marked a duplicate of",
    "intake.hotspot": "hot spot",
}
