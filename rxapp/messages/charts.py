"""Strings of the dashboard's and the public pages' charts (notes that say
what a chart leaves out)."""

ZH = {
    "dash.activity_idle": "另有 {n} 个团队本月无走访和日记，未列出",
    "dash.activity_none": "本月各团队均无走访和日记",
    "dash.area_not_ranked": "各区域受理均不足 {min} 件，暂不排名；下表列出全部区域",
    "public.home.chart_note": "柱端标有数值；横轴起点：",
}

EN = {
    "dash.activity_idle": "{n} more teams had no visits or diaries this month (not listed)",
    "dash.activity_none": "No team recorded visits or diaries this month",
    "dash.area_not_ranked": "Every area has fewer than {min} accepted cases: not ranked; the table lists them all",
    "public.home.chart_note": "Each bar carries its value; the axis starts at ",
}
