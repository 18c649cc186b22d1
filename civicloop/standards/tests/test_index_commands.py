"""Management commands: import/export index systems, import check items (XLSX, XLSForm)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from civicloop.standards.models import CheckItem, IndexSystem, Indicator
from civicloop.standards.tests.test_index_api import flat_file
from civicloop.standards.tests.test_xlsform import FULL, form

pytestmark = pytest.mark.django_db


def _file(tmp_path, buf, name="f.xlsx"):
    path = tmp_path / name
    path.write_bytes(buf.getvalue())
    return str(path)


def test_import_export_round_trip(world, tmp_path):
    src = _file(tmp_path, flat_file())
    out = StringIO()
    call_command("import_index_system", src, code="S1", name="体系", sys_version="v1", stdout=out)
    assert "7 个指标节点" in out.getvalue()
    exported = str(tmp_path / "code.xlsx")
    call_command("export_index_system", "S1", exported, form="code", stdout=StringIO())
    call_command(
        "import_index_system", exported, code="S2", name="体系", sys_version="v2", stdout=StringIO()
    )
    assert list(
        Indicator.objects.filter(system__code="S2").order_by("code").values_list("code", "text")
    ) == list(
        Indicator.objects.filter(system__code="S1").order_by("code").values_list("code", "text")
    )


def test_import_errors_are_listed(world, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["编码", "上级编码", "层级", "内容"])
    wb.active.append(["A", "Z", "测评内容", "x"])
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    with pytest.raises(CommandError) as exc:
        call_command("import_index_system", str(path), code="S", name="n", sys_version="v")
    assert "第 2 行「上级编码」列" in str(exc.value)
    assert not IndexSystem.objects.exists()


def test_import_check_items_xlsform(world, tmp_path):
    out = StringIO()
    call_command(
        "import_check_items",
        _file(tmp_path, form(FULL)),
        xlsform=True,
        point_type="PT-MARKET",
        stdout=out,
    )
    assert "未导入 stalls（repeat）" in out.getvalue()
    assert CheckItem.objects.count() == 4
