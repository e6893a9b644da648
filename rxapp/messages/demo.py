"""The demo-mode banner (GRIDDESK_DEMO=1)."""

ZH = {
    "demo.banner": "演示数据：本系统运行在演示模式，账号、密钥和数据均为演示用途，请勿录入真实个人信息。",
}
EN = {
    "demo.banner": "Demo data: this system runs in demo mode; accounts, keys and data are for demonstration only. Do not enter real personal data.",
}
