"""Issue: a leader logs in, sees the Chinese shell with name and area,
switches to English, logs out; a wrong password shows a Chinese message."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import display_name, login

pytestmark = pytest.mark.browser


def test_wrong_password_shows_a_clear_chinese_message(page, app_url, shot):
    login(page, app_url, "leader", "not-the-password")
    expect(page.locator("#login-error")).to_contain_text("用户名或密码错误", timeout=20000)
    shot(page, "login-wrong-password")


def test_leader_sees_chinese_shell_switches_to_english_and_logs_out(page, app_url, app_db, shot):
    login(page, app_url, "leader")
    expect(page.locator("#user-name")).to_have_text(display_name(app_db, "leader"), timeout=30000)
    expect(page.locator("#user-scope")).to_contain_text("舟山市")
    expect(page.locator("#user-scope")).to_contain_text("领导")
    expect(page.get_by_text("诉求工单").first).to_be_visible()
    shot(page, "shell-leader-zh")

    page.click("#language-switch")
    expect(page.get_by_text("Cases").first).to_be_visible(timeout=10000)
    expect(page.locator("#user-scope")).to_contain_text("Leader")
    shot(page, "shell-leader-en")

    # the choice is remembered by this browser
    page.reload()
    expect(page.get_by_text("Cases").first).to_be_visible(timeout=20000)
    page.click("#language-switch")
    expect(page.get_by_text("诉求工单").first).to_be_visible(timeout=10000)

    page.click("#logout-form button")
    page.wait_for_url("**/login**", timeout=20000)
    # the session is gone on the server: private pages send us back to /login
    page.goto(app_url + "/")
    page.wait_for_url("**/login**", timeout=20000)


def test_member_shell_works_on_a_phone_screen(browser, app_url, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    login(page, app_url, "member")
    expect(page.locator("#user-scope")).to_contain_text("网格团队成员", timeout=30000)
    # the sidebar is hidden; the menu button opens the navigation
    page.get_by_label("菜单").click()
    expect(page.get_by_role("link", name="民情日记")).to_be_visible()
    shot(page, "shell-member-phone")
    context.close()
