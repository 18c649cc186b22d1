"""Main user journeys in a real browser: log in, open the points list, open the map."""

import pytest

from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_points_list_and_map(world, live_server, page, external_requests):
    login(page, live_server, "command")
    assert page.url.rstrip("/") == live_server.url, "login should land on the home page"
    assert "指挥中心调度员" in page.content()

    page.goto(f"{live_server.url}/orgs/points/")
    page.wait_for_selector("text=东华农贸市场")
    assert page.locator("text=西华小巷").count() >= 1

    page.goto(f"{live_server.url}/orgs/map/")
    # Leaflet draws the area boundaries as SVG paths and the points as circle markers.
    page.wait_for_selector(".leaflet-container")
    page.wait_for_function("document.querySelectorAll('.leaflet-interactive').length >= 2")
    page.screenshot(path="var/browser-map.png")

    assert page.js_errors == []
    assert external_requests == [], "the platform must work offline: no outside requests"


def test_wrong_password_shows_chinese_error(world, live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "command")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    page.wait_for_selector(".alert-danger")
    assert "用户名或密码错误" in page.inner_text(".alert-danger")


def test_outsider_cannot_open_other_districts_point(world, live_server, page):
    login(page, live_server, "outsider")
    response = page.goto(f"{live_server.url}/orgs/points/{world.point_a.pk}/")
    assert response.status == 404
