"""The inspection journey on a phone: open the form, mark items (auto-saved), lose the
connection and come back (nothing lost), reload (draft kept), submit, see the problem."""

import pytest

from civicloop.inspections.models import Inspection, InspectionStatus, ItemResult
from civicloop.inspections.tests.conftest import insp  # noqa: F401  (fixture)
from civicloop.problems.models import Problem
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 36.0101, "longitude": 117.0102},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


def mark(page, item, outcome: str) -> None:
    suffix = {"pass": "pass", "fail": "fail", "not_applicable": "na"}[outcome]
    page.click(f"label[for=o-{item.pk}-{suffix}]")


def wait_saved(page, item) -> None:
    page.wait_for_selector(f"#status-{item.pk} [data-state=saved]")


def test_inspector_inspects_a_point_on_a_phone(insp, live_server, phone):  # noqa: F811
    page = phone
    it = insp.items
    login(page, live_server, "inspector")
    url = f"{live_server.url}/inspections/samples/{insp.sample_a.pk}/"
    page.goto(url)
    page.wait_for_selector("text=地面无垃圾")
    page.wait_for_selector("#geo-status >> text=已定位")
    # The form fits the phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    mark(page, it.clean, "fail")
    wait_saved(page, it.clean)
    page.fill(f"#item-{it.clean.pk} textarea[name=note]", "入口处有垃圾堆放")
    page.click(f"#item-{it.deduct.pk} .text-muted")  # blur the note: change → auto-save
    page.wait_for_function(
        "id => document.querySelector('#status-' + id).textContent.includes('已保存')",
        arg=it.clean.pk,
    )
    for item in (it.deduct, it.count):
        mark(page, item, "pass")
        wait_saved(page, item)

    # The connection drops: the answer is kept on the phone and synced when back online.
    page.context.set_offline(True)
    mark(page, it.critical, "pass")
    page.wait_for_selector(f"#status-{it.critical.pk} [data-state=kept]")
    assert page.is_visible("#sync-status")
    assert not ItemResult.objects.filter(check_item=it.critical).exists()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page, it.critical)
    assert ItemResult.objects.filter(check_item=it.critical).exists()

    mark(page, it.na, "not_applicable")
    wait_saved(page, it.na)

    # Reload: every answer is still there (saved on the server).
    page.reload()
    page.wait_for_selector("text=地面无垃圾")
    assert page.is_checked(f"#o-{it.clean.pk}-fail")
    assert page.is_checked(f"#o-{it.na.pk}-na")
    assert page.input_value(f"#item-{it.clean.pk} textarea[name=note]") == "入口处有垃圾堆放"
    assert page.inner_text("#answered-count") == "5"

    page.click("#submit-button")
    page.wait_for_selector("#result-table")
    inspection = Inspection.objects.get(sample=insp.sample_a)
    assert inspection.status == InspectionStatus.SUBMITTED
    assert inspection.lat == pytest.approx(36.0101)
    problem = Problem.objects.get()
    assert "检查结果已提交" in page.content()
    page.click(".cl-problem-link")
    page.wait_for_url(f"**/problems/{problem.pk}/")
    assert problem.number in page.content() and "入口处有垃圾堆放" in page.content()

    # Back to the form URL: the results page, not a second submit.
    page.goto(url)
    page.wait_for_selector("#result-table")
    assert Problem.objects.count() == 1
    assert page.js_errors == []
