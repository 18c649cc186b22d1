import io
import re

import pytest
from django.core.management import call_command

from civicloop.core.models import AuditEvent
from civicloop.orgs.models import Area, AreaLevel, Unit, UnitKind
from civicloop.standards.models import Category, CategoryKind, DeadlineUnit
from civicloop.standards.taxonomy import iter_default_rows, load_default_categories

pytestmark = pytest.mark.django_db


def test_loads_once_then_is_idempotent():
    rows = iter_default_rows()
    assert load_default_categories() == len(rows)
    assert Category.objects.count() == len(rows)
    assert AuditEvent.objects.filter(action="category.load_defaults").count() == 1
    assert load_default_categories() == 0
    assert Category.objects.count() == len(rows)
    assert AuditEvent.objects.filter(action="category.load_defaults").count() == 1


def test_taxonomy_shape_and_deadline_policies():
    load_default_categories()
    majors = Category.objects.filter(parent=None)
    minors = Category.objects.filter(parent__isnull=False).select_related("parent")
    assert 80 <= minors.count() <= 150
    assert {m.kind for m in majors} == {CategoryKind.EVENT, CategoryKind.COMPONENT}
    for major in majors:
        assert re.fullmatch(r"\d{2}", major.code)
        assert major.children.exists()
    for minor in minors:
        assert re.fullmatch(r"\d{4}", minor.code) and minor.code[:2] == minor.parent.code
        assert minor.kind == minor.parent.kind
        assert minor.deadline_amount > 0
        assert minor.deadline_unit in DeadlineUnit.values
        assert minor.closing_condition.strip()
    names = list(minors.values_list("name", flat=True))
    assert len(names) == len(set(names))

    def policy(name):
        c = Category.objects.get(name=name)
        return c.deadline_amount, c.deadline_unit

    assert Category.objects.get(code="0101").name == "暴露垃圾"
    assert policy("暴露垃圾") == (2, DeadlineUnit.WORKING_HOURS)
    assert policy("井盖破损丢失") == (4, DeadlineUnit.WORKING_HOURS)
    assert policy("违规搭建") == (10, DeadlineUnit.WORKING_DAYS)
    assert policy("行道树缺株")[1] == DeadlineUnit.CALENDAR_DAYS
    for name in (
        "公益广告不足",
        "农贸市场环境",
        "背街小巷环境",
        "校园周边秩序",
        "志愿服务站未正常运行",
    ):
        assert Category.objects.filter(name=name).exists()


def _department(key: str, code: str) -> Unit:
    city = Area.objects.create(name="示范市", code="370000", level=AreaLevel.CITY)
    return Unit.objects.create(
        name=f"市{key}", short_name=key, code=code, kind=UnitKind.DEPARTMENT, area=city
    )


def test_unit_lookup_sets_default_units_and_keeps_admin_choices():
    cgj = _department("城管局", "U1")
    load_default_categories({"城管局": cgj})
    litter = Category.objects.get(name="暴露垃圾")
    assert litter.default_unit == cgj
    assert Category.objects.get(name="水域不洁").default_unit is None  # 水利局 not given

    # Without a lookup an existing default unit is left alone.
    assert load_default_categories() == 0
    litter.refresh_from_db()
    assert litter.default_unit == cgj


def test_overwrite_false_keeps_tuned_deadlines():
    load_default_categories()
    Category.objects.filter(name="暴露垃圾").update(deadline_amount=6)
    Category.objects.filter(code="0102").delete()
    assert load_default_categories(overwrite=False) == 1  # only the missing one
    assert Category.objects.get(name="暴露垃圾").deadline_amount == 6
    assert load_default_categories() == 1  # overwrite restores the default
    assert Category.objects.get(name="暴露垃圾").deadline_amount == 2


def test_load_categories_command_matches_departments_by_key():
    cgj = _department("城管局", "U1")
    out = io.StringIO()
    call_command("load_categories", stdout=out)
    assert "问题分类导入完成" in out.getvalue()
    assert Category.objects.get(name="暴露垃圾").default_unit == cgj
