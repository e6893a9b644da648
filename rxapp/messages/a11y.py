"""Accessible names (aria-label, landmarks) that have no visible text of their own."""

ZH = {
    "a11y.language_switch": "切换语言（English）",
    "a11y.main_nav": "主导航",
    "a11y.remove_household": "移除该住户",
    "a11y.sort": "排序",
    "a11y.open_diary": "打开这篇民情日记",
    "a11y.upload": "选择照片或文件",
}

EN = {
    "a11y.language_switch": "Switch language (中文)",
    "a11y.main_nav": "Main navigation",
    "a11y.remove_household": "Remove this household",
    "a11y.sort": "Sort by",
    "a11y.open_diary": "Open this diary entry",
    "a11y.upload": "Choose photos or files",
}
