"""Excel imports of the registry: areas, units, point types, points (users: accounts.imports).

Every import is all-or-nothing: the whole file is read and checked first, every bad cell is
collected as a row/column error, and only a clean file is written, inside one transaction,
with bulk inserts/updates (20 000 points take seconds). Rows are matched by code: a new
code creates a row, a known code updates it ("upsert"); mode "create" refuses known codes.

Who: `command` users, within their jurisdiction (rows whose area lies outside their area
subtree are errors). `user=None` is a system import (management command) with no limit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.core import audit, geo
from civicloop.core.errors import ImportFailed, NotPermitted, ValidationFailed
from civicloop.core.xlsx import Column, ErrorList, Row, SheetSpec, read_rows
from civicloop.orgs.models import (
    AREA_LEVEL_ORDER,
    Area,
    AreaLevel,
    Point,
    PointType,
    Unit,
    UnitKind,
)
from civicloop.orgs.permissions import can_edit_registry
from civicloop.orgs.services import _set_boundary

BATCH = 1000
# SQLite limits the number of bound variables per statement; stay well below it.
IN_CHUNK = 900
MODES = ("upsert", "create")
GRID_CODE_MESSAGE = "网格编码应为15位数字（6位行政区划+3位街道+3位社区+3位网格）"
_COMMON_NOTES = (
    "第 1 行为表头，请勿修改；从第 2 行开始每行填写一条记录。红色表头为必填列。",
    "按编码匹配：编码已存在的记录将被更新，不存在的将被新增。",
    "更新时以表格内容为准，空白单元格会清空对应字段；文件中没有的列不会被修改。",
    "导入是“全部成功或全部不写入”的：只要有一处错误，就不会写入任何数据，并列出所有出错的行和列。",
)


def _f(model: type[models.Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length


# --- Sheet specs ----------------------------------------------------------------------

BOOL_NOTE = "填写“是”或“否”，留空为“是”"

AREAS = SheetSpec(
    kind="areas",
    title="区域",
    columns=(
        Column(
            "code",
            "区域编码",
            True,
            "code",
            max_length=_f(Area, "code"),
            note="唯一。网格编码为15位数字：6位行政区划+3位街道+3位社区+3位网格",
        ),
        Column("name", "区域名称", True, max_length=_f(Area, "name"), width=24),
        Column(
            "level",
            "层级",
            True,
            "choice",
            choices=tuple(AreaLevel.choices),
            aliases={
                "区": AreaLevel.DISTRICT,
                "县": AreaLevel.DISTRICT,
                "街道": AreaLevel.STREET,
                "乡镇": AreaLevel.STREET,
                "社区": AreaLevel.COMMUNITY,
                "村": AreaLevel.COMMUNITY,
            },
        ),
        Column(
            "parent",
            "上级区域编码",
            kind="code",
            note="顶级区域留空；可引用本文件中的区域（前后顺序不限）",
        ),
        Column("sort_order", "排序", kind="int", note="整数，越小越靠前"),
        Column(
            "boundary",
            "边界GeoJSON",
            kind="text",
            width=40,
            note="可选，WGS-84 坐标的 Polygon/MultiPolygon GeoJSON；留空表示不修改边界",
        ),
    ),
    notes=_COMMON_NOTES + ("区域层级自上而下为：市 → 区/县 → 街道/乡镇 → 社区/村 → 网格。",),
)

UNITS = SheetSpec(
    kind="units",
    title="单位",
    columns=(
        Column("code", "单位编码", True, "code", max_length=_f(Unit, "code"), note="唯一"),
        Column("name", "单位名称", True, max_length=_f(Unit, "name"), width=28),
        Column("short_name", "简称", max_length=_f(Unit, "short_name")),
        Column(
            "kind",
            "单位类型",
            True,
            "choice",
            choices=tuple(UnitKind.choices),
            aliases={
                "街道": UnitKind.TOWNSHIP,
                "乡镇": UnitKind.TOWNSHIP,
                "社区": UnitKind.COMMUNITY,
                "企业": UnitKind.ENTERPRISE,
            },
        ),
        Column("parent", "上级单位编码", kind="code", note="可引用本文件中的单位（前后顺序不限）"),
        Column("area", "所属区域编码", True, "code", note="单位所在辖区的区域编码，须已存在"),
        Column("contact_person", "联系人", max_length=_f(Unit, "contact_person")),
        Column(
            "contact_phone",
            "联系电话",
            kind="phone",
            max_length=_f(Unit, "contact_phone"),
            note="手机号或带区号的固定电话，如 0531-12345678",
        ),
        Column(
            "submission_needs_leader_approval",
            "整改反馈需负责人审核",
            kind="bool",
            note="填写“是”或“否”，留空为“否”",
        ),
        Column("is_active", "启用", kind="bool", note=BOOL_NOTE),
        Column("sort_order", "排序", kind="int", note="整数，越小越靠前"),
    ),
    notes=_COMMON_NOTES,
)

POINT_TYPES = SheetSpec(
    kind="point_types",
    title="点位类型",
    columns=(
        Column("code", "类型编码", True, "code", max_length=_f(PointType, "code"), note="唯一"),
        Column("name", "类型名称", True, max_length=_f(PointType, "name"), note="唯一"),
        Column("group", "分组", max_length=_f(PointType, "group")),
        Column("lead_unit", "行业牵头单位编码", kind="code", note="须为已存在的单位编码"),
        Column("description", "说明", kind="text", width=30),
        Column("sort_order", "排序", kind="int", note="整数，越小越靠前"),
        Column("is_active", "启用", kind="bool", note=BOOL_NOTE),
    ),
    notes=_COMMON_NOTES,
)

COORD_CHOICES = (
    (geo.WGS84, "WGS-84"),
    (geo.GCJ02, "GCJ-02"),
    (geo.BD09, "BD-09"),
)

POINTS = SheetSpec(
    kind="points",
    title="点位",
    columns=(
        Column("code", "点位编码", True, "code", max_length=_f(Point, "code"), note="唯一"),
        Column("name", "点位名称", True, max_length=_f(Point, "name"), width=28),
        Column("point_type", "点位类型", True, note="填写点位类型的编码或名称"),
        Column("area", "所属区域编码", True, "code", note="须为已存在的区域编码（一般为网格）"),
        Column("responsible_unit", "责任单位编码", True, "code", note="须为已存在的单位编码"),
        Column("address", "地址", max_length=_f(Point, "address"), width=30),
        Column("lng", "经度", kind="float", note="与纬度同时填写或同时留空"),
        Column("lat", "纬度", kind="float", note="与经度同时填写或同时留空"),
        Column(
            "coord_system",
            "坐标系",
            kind="choice",
            choices=COORD_CHOICES,
            aliases={
                "wgs84": geo.WGS84,
                "gps": geo.WGS84,
                "gcj02": geo.GCJ02,
                "高德": geo.GCJ02,
                "腾讯": geo.GCJ02,
                "火星坐标": geo.GCJ02,
                "bd09": geo.BD09,
                "百度": geo.BD09,
            },
            note="留空为 WGS-84（GPS）；高德/腾讯地图为 GCJ-02，百度地图为 BD-09，"
            "导入时统一转换为 WGS-84 保存",
        ),
        Column("person_in_charge", "责任人", max_length=_f(Point, "person_in_charge")),
        Column("person_phone", "责任人电话", kind="phone", max_length=_f(Point, "person_phone")),
        Column("is_active", "启用", kind="bool", note=BOOL_NOTE),
    ),
    notes=_COMMON_NOTES + ("导出文件中的经纬度均为 WGS-84 坐标。",),
)


# --- Result and jurisdiction ----------------------------------------------------------


@dataclass
class ImportResult:
    kind: str
    title: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Generated initial passwords of new users: (username, password), shown once.
    passwords: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return (
            f"{self.title}导入成功：共 {self.total} 行，新增 {self.created} 条，"
            f"更新 {self.updated} 条，未变化 {self.unchanged} 条"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            **self.extra,
        }


class Jurisdiction:
    """The area subtrees an importer may write to. `None` user = system import."""

    def __init__(self, user) -> None:
        if user is not None and not can_edit_registry(user):
            raise NotPermitted("只有创文办（指挥中心）可以导入基础数据")
        scope = scope_of(user) if user is not None else None
        self.unlimited = scope is None or scope.is_superuser
        self.paths: tuple[str, ...] = (
            () if self.unlimited else scope.area_paths.get(Role.COMMAND, ())
        )

    def covers(self, area_path: str | None) -> bool:
        if self.unlimited:
            return True
        return bool(area_path) and any(area_path.startswith(p) for p in self.paths)

    def area_q(self, prefix: str = "") -> models.Q:
        if self.unlimited:
            return models.Q()
        q = models.Q(pk__in=[])
        for path in self.paths:
            q |= models.Q(**{f"{prefix}path__startswith": path})
        return q


def out_of_scope(what: str, code: str) -> str:
    return f"{what}「{code}」不在您的管辖范围内"


# --- Shared helpers -------------------------------------------------------------------


def chunks(items: Iterable, size: int = IN_CHUNK):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def fetch_by(
    model: type[models.Model],
    field_name: str,
    keys: Iterable[str],
    *,
    values: tuple[str, ...] | None = None,
    related: tuple[str, ...] = (),
) -> dict:
    """Rows whose `field_name` is in `keys`, keyed by it (chunked `IN` queries)."""
    found: dict = {}
    for batch in chunks(sorted(set(keys))):
        qs = model.objects.filter(**{f"{field_name}__in": batch})
        if values is not None:
            for row in qs.values(field_name, *values):
                found[row[field_name]] = row
        else:
            # select_related() with no names would join every foreign key: only when asked.
            for obj in qs.select_related(*related) if related else qs:
                found[getattr(obj, field_name)] = obj
    return found


def dedupe(rows: list[Row], spec: SheetSpec, errors: ErrorList, key: str = "code") -> None:
    """Report every repeated code in the file (pointing at the first occurrence)."""
    header = spec.header(key)
    first: dict[Any, int] = {}
    for row in rows:
        value = row.values.get(key)
        if value is None:
            continue
        if value in first:
            errors.add(
                row.number, header, f"{header}「{value}」在文件中重复（与第 {first[value]} 行相同）"
            )
            row.bad.add(key)
        else:
            first[value] = row.number


def assign(obj: models.Model, data: dict[str, Any]) -> bool:
    """Set attributes; True when anything changed."""
    changed = False
    for key, value in data.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def optional(
    row: Row, key: str, default: Any, data: dict[str, Any], attr: str | None = None, *, is_new: bool
) -> None:
    """Copy a column into `data` if the file has it; a new row gets `default` when blank."""
    if key in row.values:
        value = row.values[key]
        data[attr or key] = default if value is None else value
    elif is_new:
        data[attr or key] = default


def find_cycles(
    file_parent: dict[str, str | None], db_parent: dict[str, str | None]
) -> dict[str, list[str]]:
    """Codes (of the file) whose final parent chain loops back to themselves."""
    cycles: dict[str, list[str]] = {}
    for start in file_parent:
        chain, seen, current = [start], {start}, start
        while True:
            parent = file_parent[current] if current in file_parent else db_parent.get(current)
            if parent is None:
                break
            if parent == start:
                cycles[start] = [*chain, start]
                break
            if parent in seen:
                break  # a loop further up; reported on its own members
            seen.add(parent)
            chain.append(parent)
            current = parent
    return cycles


def create_in_order(
    model: type[models.Model],
    new: dict[str, models.Model],
    parent_code: dict[str, str | None],
    pk_by_code: dict[str, int],
) -> None:
    """bulk_create tree nodes generation by generation, so each parent has its pk first."""
    pending = dict(new)
    while pending:
        ready = [c for c in pending if not parent_code.get(c) or parent_code[c] in pk_by_code]
        if not ready:  # cycles are refused before any write; this cannot happen
            raise ValidationFailed("上级关系形成循环")
        batch = []
        for code in ready:
            obj = pending.pop(code)
            parent = parent_code.get(code)
            obj.parent_id = pk_by_code[parent] if parent else None
            batch.append(obj)
        model.objects.bulk_create(batch, batch_size=BATCH)
        for obj in batch:
            pk_by_code[obj.code] = obj.pk


def refresh_paths(model: type[models.Model]) -> int:
    """Recompute materialised paths from parent links; write only the ones that changed."""
    current: dict[int, tuple[str, int]] = {}
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id, path, depth in model.objects.values_list("pk", "parent_id", "path", "depth"):
        current[pk] = (path, depth)
        children[parent_id].append(pk)
    changed = []
    stack = [(pk, "/") for pk in children.get(None, [])]
    while stack:
        pk, prefix = stack.pop()
        path = f"{prefix}{pk}/"
        depth = path.count("/") - 2
        if current[pk] != (path, depth):
            changed.append(model(pk=pk, path=path, depth=depth))
        stack.extend((child, path) for child in children.get(pk, []))
    update_rows(model, changed, ["path", "depth"])
    return len(changed)


@contextmanager
def atomic_import():
    """The write phase: one transaction; a unique clash means someone wrote meanwhile."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise ImportFailed(
            "写入时发现数据冲突（可能有他人同时修改了相同编码的数据），未写入任何数据，请重新导入",
            details=[{"row": 0, "column": "", "message": str(exc)[:200]}],
        ) from exc


def update_rows(model: type[models.Model], objs: list[models.Model], fields: list[str]) -> None:
    """UPDATE many rows by pk with one prepared statement (executemany).

    Django's bulk_update builds CASE WHEN expressions that grow with the batch; on SQLite
    (999 parameters per statement) re-importing 20 000 points that way takes over a minute.
    A plain parameterised UPDATE run with executemany takes well under a second, on SQLite
    and PostgreSQL alike.
    """
    if not objs:
        return
    meta = model._meta
    db_fields = [meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in db_fields)
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"
    params = (
        [*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in db_fields), obj.pk]
        for obj in objs
    )
    with connection.cursor() as cursor:
        for batch in chunks(params, BATCH):
            cursor.executemany(sql, batch)


def write_changes(model: type[models.Model], new: list, changed: list, fields: list[str]) -> None:
    now = timezone.now()
    for obj in changed:
        obj.updated_at = now  # a raw UPDATE does not apply auto_now
    if new:
        model.objects.bulk_create(new, batch_size=BATCH)
    update_rows(model, changed, [*fields, "updated_at"])


def finish(user, result: ImportResult, spec: SheetSpec, filename: str) -> ImportResult:
    audit.record(
        user,
        "registry.import",
        object_type=spec.kind,
        summary=result.summary,
        data={**result.as_dict(), "file": filename[:200]},
    )
    return result


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValidationFailed(f"未知的导入模式：{mode}（可选 upsert、create）")


def _exists_error(mode: str, row: Row, spec: SheetSpec, errors: ErrorList, exists: bool) -> None:
    if mode == "create" and exists:
        header = spec.header("code")
        errors.add(row.number, header, f"{header}「{row.values['code']}」已存在于系统中")


def _file_name(source) -> str:
    return str(getattr(source, "name", source) or "")


# --- Areas ----------------------------------------------------------------------------

_LEVEL_RANK = {level.value: i for i, level in enumerate(AREA_LEVEL_ORDER)}
_LEVEL_LABEL = dict(AreaLevel.choices)


def import_areas(source: str | IO[bytes], *, user=None, mode: str = "upsert") -> ImportResult:
    _check_mode(mode)
    jurisdiction = Jurisdiction(user)
    spec, errors = AREAS, ErrorList()
    rows = read_rows(source, spec, errors)
    dedupe(rows, spec, errors)
    index = {
        r["code"]: r
        for r in Area.objects.values("pk", "code", "parent_id", "parent__code", "path", "level")
    }
    file_rows = {r.values["code"]: r for r in rows if r.has("code") and r.values["code"]}
    children: dict[str, list[str]] = defaultdict(list)
    for code, r in index.items():
        if r["parent__code"] and code not in file_rows:
            children[r["parent__code"]].append(code)
    boundaries: dict[str, dict | None] = {}
    file_parent: dict[str, str | None] = {}
    ctx = _AreaContext(spec, errors, index, file_rows, children, jurisdiction, mode)
    for row in rows:
        _check_area_row(row, ctx, boundaries)
        code = row.values.get("code")
        if code and file_rows.get(code) is row:
            file_parent[code] = _final_parent(row, index)
    db_parent = {code: r["parent__code"] for code, r in index.items()}
    for code, chain in find_cycles(file_parent, db_parent).items():
        errors.add(
            file_rows[code].number, spec.header("parent"), "上级关系形成循环：" + " → ".join(chain)
        )
    errors.raise_if_any()
    with atomic_import():
        result = _write_areas(file_rows, index, file_parent, boundaries)
        result.total = len(rows)
        refresh_paths(Area)
        return finish(user, result, spec, _file_name(source))


def _final_parent(row: Row, index: dict) -> str | None:
    code = row.values["code"]
    if "parent" not in row.values and code in index:
        return index[code]["parent__code"]
    return row.values.get("parent")


@dataclass
class _AreaContext:
    spec: SheetSpec
    errors: ErrorList
    index: dict  # code -> DB values of every area
    file_rows: dict  # code -> first Row of the file
    children: dict  # code -> codes of DB children that the file does not mention
    jurisdiction: Jurisdiction
    mode: str


def _check_area_row(row: Row, ctx: _AreaContext, boundaries: dict) -> None:
    spec, errors = ctx.spec, ctx.errors
    code, level = row.values.get("code"), row.values.get("level")
    existing = ctx.index.get(code) if code else None
    if code:
        _exists_error(ctx.mode, row, spec, errors, existing is not None)
    if existing and not ctx.jurisdiction.covers(existing["path"]):
        errors.add(row.number, spec.header("code"), out_of_scope("区域", code))
    if code and level == AreaLevel.GRID and not grid_code_ok(code):
        errors.add(row.number, spec.header("code"), f"「{code}」{GRID_CODE_MESSAGE}")
    if row.has("parent"):
        _check_area_parent(row, ctx, existing)
    elif existing is None and "parent" not in row.values and not ctx.jurisdiction.unlimited:
        errors.add(row.number, spec.header("code"), "只有系统管理员可以新增顶级区域")
    if existing and level and level != existing["level"]:
        _check_area_children(row, ctx, level)
    if row.has("boundary") and row.values.get("boundary") is not None:
        try:
            geometry = geo.normalise_geometry(json.loads(row.values["boundary"]))
        except json.JSONDecodeError:
            errors.add(row.number, spec.header("boundary"), "边界不是有效的 JSON 文本")
        except ValidationFailed as exc:
            errors.add(row.number, spec.header("boundary"), exc.message)
        else:
            boundaries[code] = geometry


def _check_area_children(row: Row, ctx: _AreaContext, level: str) -> None:
    """A level change must keep the existing children (not in the file) below it."""
    for child_code in ctx.children.get(row.values["code"], ()):
        child_level = ctx.index[child_code]["level"]
        if _LEVEL_RANK[child_level] <= _LEVEL_RANK[level]:
            ctx.errors.add(
                row.number,
                ctx.spec.header("level"),
                f"层级不能改为「{_LEVEL_LABEL[level]}」：下级区域「{child_code}」的层级是"
                f"「{_LEVEL_LABEL[child_level]}」",
            )
            return


def grid_code_ok(code: str) -> bool:
    return len(code) == 15 and code.isascii() and code.isdigit()


def _check_area_parent(row: Row, ctx: _AreaContext, existing: dict | None) -> None:
    spec, errors, index = ctx.spec, ctx.errors, ctx.index
    code, level, parent = row.values.get("code"), row.values.get("level"), row.values["parent"]
    header = spec.header("parent")
    # Keeping the current parent is always allowed, even when the parent itself lies
    # outside the importer's jurisdiction (a district office re-importing its export).
    unchanged = existing is not None and existing["parent__code"] == parent
    if parent is None:
        if not unchanged and not ctx.jurisdiction.unlimited:
            errors.add(row.number, header, "只有系统管理员可以设置顶级区域，请填写上级区域编码")
        return
    if parent == code:
        errors.add(row.number, header, "上级区域不能是自己")
        return
    in_file = ctx.file_rows.get(parent)
    if in_file is None and parent not in index:
        errors.add(row.number, header, f"上级区域「{parent}」不存在（文件和系统中均未找到）")
        return
    if in_file is None and not unchanged and not ctx.jurisdiction.covers(index[parent]["path"]):
        errors.add(row.number, header, out_of_scope("上级区域", parent))
    parent_level = in_file.values.get("level") if in_file is not None else index[parent]["level"]
    if level and parent_level and _LEVEL_RANK[parent_level] >= _LEVEL_RANK[level]:
        errors.add(
            row.number,
            spec.header("level"),
            f"层级「{_LEVEL_LABEL[level]}」不能位于「{_LEVEL_LABEL[parent_level]}」"
            f"（上级区域「{parent}」）之下",
        )
    if (
        code
        and level == AreaLevel.GRID
        and grid_code_ok(code)
        and len(parent) == 12
        and parent.isdigit()
        and not code.startswith(parent)
    ):
        errors.add(
            row.number,
            spec.header("code"),
            f"网格编码「{code}」的前12位应与上级社区编码「{parent}」一致",
        )


_AREA_FIELDS = [
    "name",
    "level",
    "sort_order",
    "parent_id",
    "boundary",
    "min_lng",
    "min_lat",
    "max_lng",
    "max_lat",
]


def _write_areas(
    file_rows: dict[str, Row], index: dict, file_parent: dict, boundaries: dict
) -> ImportResult:
    result = ImportResult("areas", AREAS.title)
    existing = fetch_by(Area, "code", [c for c in file_parent if c in index])
    before = {code: _state(obj, _AREA_FIELDS) for code, obj in existing.items()}
    pk_by_code = {code: r["pk"] for code, r in index.items()}
    new: dict[str, Area] = {}
    for code in file_parent:
        row = file_rows[code]
        obj = existing.get(code) or Area(code=code)
        data = {"name": row.values["name"], "level": row.values["level"]}
        optional(row, "sort_order", 0, data, is_new=obj.pk is None)
        assign(obj, data)
        if code in boundaries:
            _set_boundary(obj, boundaries[code])
        if obj.pk is None:
            new[code] = obj
    create_in_order(Area, new, file_parent, pk_by_code)
    for code, obj in existing.items():
        parent = file_parent[code]
        obj.parent_id = pk_by_code[parent] if parent else None
    changed = [obj for code, obj in existing.items() if _state(obj, _AREA_FIELDS) != before[code]]
    write_changes(Area, [], changed, _AREA_FIELDS)
    return _counted(result, len(new), changed, existing)


def _state(obj: models.Model, fields: list[str]) -> tuple:
    return tuple(getattr(obj, f) for f in fields)


def _counted(result: ImportResult, created: int, changed: list, existing: dict) -> ImportResult:
    result.created, result.updated = created, len(changed)
    result.unchanged = len(existing) - len(changed)
    return result


# --- Units ----------------------------------------------------------------------------

_UNIT_FIELDS = [
    "name",
    "short_name",
    "kind",
    "area_id",
    "parent_id",
    "contact_person",
    "contact_phone",
    "submission_needs_leader_approval",
    "is_active",
    "sort_order",
]


def import_units(source: str | IO[bytes], *, user=None, mode: str = "upsert") -> ImportResult:
    _check_mode(mode)
    jurisdiction = Jurisdiction(user)
    spec, errors = UNITS, ErrorList()
    rows = read_rows(source, spec, errors)
    dedupe(rows, spec, errors)
    index = {r["code"]: r for r in Unit.objects.values("pk", "code", "parent__code", "area__path")}
    areas = fetch_by(
        Area,
        "code",
        [r.values["area"] for r in rows if r.values.get("area")],
        values=("pk", "path"),
    )
    file_rows = {r.values["code"]: r for r in rows if r.has("code") and r.values["code"]}
    file_parent: dict[str, str | None] = {}
    for row in rows:
        _check_unit_row(row, spec, errors, index, areas, file_rows, jurisdiction, mode)
        code = row.values.get("code")
        if code and file_rows.get(code) is row:
            file_parent[code] = _final_parent(row, index)
    db_parent = {code: r["parent__code"] for code, r in index.items()}
    for code, chain in find_cycles(file_parent, db_parent).items():
        errors.add(
            file_rows[code].number, spec.header("parent"), "上级关系形成循环：" + " → ".join(chain)
        )
    errors.raise_if_any()
    with atomic_import():
        result = _write_units(file_rows, index, areas, file_parent)
        result.total = len(rows)
        refresh_paths(Unit)
        return finish(user, result, spec, _file_name(source))


def _check_unit_row(
    row: Row,
    spec: SheetSpec,
    errors: ErrorList,
    index: dict,
    areas: dict,
    file_rows: dict,
    jurisdiction: Jurisdiction,
    mode: str,
) -> None:
    code, area_code, parent = (row.values.get(k) for k in ("code", "area", "parent"))
    existing = index.get(code) if code else None
    if code:
        _exists_error(mode, row, spec, errors, existing is not None)
    if existing and not jurisdiction.covers(existing["area__path"]):
        errors.add(row.number, spec.header("code"), out_of_scope("单位", code))
    if area_code:
        area = areas.get(area_code)
        if area is None:
            errors.add(row.number, spec.header("area"), f"区域「{area_code}」不存在")
        elif not jurisdiction.covers(area["path"]):
            errors.add(row.number, spec.header("area"), out_of_scope("区域", area_code))
    if parent is not None and row.has("parent"):
        if parent == code:
            errors.add(row.number, spec.header("parent"), "上级单位不能是自己")
        elif parent not in file_rows and parent not in index:
            errors.add(
                row.number,
                spec.header("parent"),
                f"上级单位「{parent}」不存在（文件和系统中均未找到）",
            )


def _write_units(
    file_rows: dict[str, Row], index: dict, areas: dict, file_parent: dict
) -> ImportResult:
    result = ImportResult("units", UNITS.title)
    existing = fetch_by(Unit, "code", [c for c in file_parent if c in index])
    before = {code: _state(obj, _UNIT_FIELDS) for code, obj in existing.items()}
    pk_by_code = {code: r["pk"] for code, r in index.items()}
    new: dict[str, Unit] = {}
    for code in file_parent:
        row = file_rows[code]
        obj = existing.get(code) or Unit(code=code)
        is_new = obj.pk is None
        data = {
            "name": row.values["name"],
            "kind": row.values["kind"],
            "area_id": areas[row.values["area"]]["pk"],
        }
        optional(row, "short_name", "", data, is_new=is_new)
        optional(row, "contact_person", "", data, is_new=is_new)
        optional(row, "contact_phone", "", data, is_new=is_new)
        optional(row, "submission_needs_leader_approval", False, data, is_new=is_new)
        optional(row, "is_active", True, data, is_new=is_new)
        optional(row, "sort_order", 0, data, is_new=is_new)
        assign(obj, data)
        if is_new:
            new[code] = obj
    create_in_order(Unit, new, file_parent, pk_by_code)
    for code, obj in existing.items():
        parent = file_parent[code]
        obj.parent_id = pk_by_code[parent] if parent else None
    changed = [obj for code, obj in existing.items() if _state(obj, _UNIT_FIELDS) != before[code]]
    write_changes(Unit, [], changed, _UNIT_FIELDS)
    return _counted(result, len(new), changed, existing)


# --- Point types ----------------------------------------------------------------------

_POINT_TYPE_FIELDS = ["name", "group", "lead_unit_id", "description", "sort_order", "is_active"]


def import_point_types(source: str | IO[bytes], *, user=None, mode: str = "upsert") -> ImportResult:
    _check_mode(mode)
    Jurisdiction(user)  # point types are city-wide reference data: the role is enough
    spec, errors = POINT_TYPES, ErrorList()
    rows = read_rows(source, spec, errors)
    dedupe(rows, spec, errors)
    dedupe(rows, spec, errors, key="name")
    by_name = dict(PointType.objects.values_list("name", "code"))
    known_codes = set(by_name.values())
    units = fetch_by(
        Unit,
        "code",
        [r.values["lead_unit"] for r in rows if r.values.get("lead_unit")],
        values=("pk",),
    )
    for row in rows:
        code, name, lead = (row.values.get(k) for k in ("code", "name", "lead_unit"))
        if code:
            _exists_error(mode, row, spec, errors, code in known_codes)
        owner = by_name.get(name) if name else None
        if owner is not None and owner != code and "name" not in row.bad:
            errors.add(
                row.number, spec.header("name"), f"类型名称「{name}」已被类型编码「{owner}」使用"
            )
        if lead and lead not in units:
            errors.add(row.number, spec.header("lead_unit"), f"单位「{lead}」不存在")
    errors.raise_if_any()
    with atomic_import():
        result = _write_point_types(rows, units)
        return finish(user, result, spec, _file_name(source))


def _write_point_types(rows: list[Row], units: dict) -> ImportResult:
    result = ImportResult("point_types", POINT_TYPES.title, total=len(rows))
    existing = fetch_by(PointType, "code", [r.values["code"] for r in rows])
    before = {code: _state(obj, _POINT_TYPE_FIELDS) for code, obj in existing.items()}
    new = []
    for row in rows:
        code = row.values["code"]
        obj = existing.get(code) or PointType(code=code)
        is_new = obj.pk is None
        data = {"name": row.values["name"]}
        optional(row, "group", "", data, is_new=is_new)
        optional(row, "description", "", data, is_new=is_new)
        optional(row, "sort_order", 0, data, is_new=is_new)
        optional(row, "is_active", True, data, is_new=is_new)
        if "lead_unit" in row.values or is_new:
            lead = row.values.get("lead_unit")
            data["lead_unit_id"] = units[lead]["pk"] if lead else None
        assign(obj, data)
        if is_new:
            new.append(obj)
    changed = [o for c, o in existing.items() if _state(o, _POINT_TYPE_FIELDS) != before[c]]
    write_changes(PointType, new, changed, _POINT_TYPE_FIELDS)
    return _counted(result, len(new), changed, existing)


# --- Points ---------------------------------------------------------------------------

_POINT_FIELDS = [
    "name",
    "point_type_id",
    "area_id",
    "responsible_unit_id",
    "address",
    "lng",
    "lat",
    "person_in_charge",
    "person_phone",
    "is_active",
]


def import_points(source: str | IO[bytes], *, user=None, mode: str = "upsert") -> ImportResult:
    _check_mode(mode)
    jurisdiction = Jurisdiction(user)
    spec, errors = POINTS, ErrorList()
    rows = read_rows(source, spec, errors)
    dedupe(rows, spec, errors)
    type_rows = list(PointType.objects.values_list("pk", "code", "name"))
    # A cell may hold a code or a name; codes win when a name equals another type's code.
    types = {name: pk for pk, _code, name in type_rows}
    types.update({code: pk for pk, code, _name in type_rows})
    areas = fetch_by(
        Area,
        "code",
        [r.values["area"] for r in rows if r.values.get("area")],
        values=("pk", "path"),
    )
    units = fetch_by(
        Unit,
        "code",
        [r.values["responsible_unit"] for r in rows if r.values.get("responsible_unit")],
        values=("pk",),
    )
    existing = fetch_by(
        Point,
        "code",
        [r.values["code"] for r in rows if r.values.get("code")],
        values=("area__path",),
    )
    locations: dict[int, tuple[float | None, float | None]] = {}
    for row in rows:
        _check_point_row(row, spec, errors, types, areas, units, existing, jurisdiction, mode)
        locations[row.number] = _point_location(row, spec, errors)
    errors.raise_if_any()
    with atomic_import():
        result = _write_points(rows, types, areas, units, locations)
        return finish(user, result, spec, _file_name(source))


def _check_point_row(
    row: Row,
    spec: SheetSpec,
    errors: ErrorList,
    types: dict,
    areas: dict,
    units: dict,
    existing: dict,
    jurisdiction: Jurisdiction,
    mode: str,
) -> None:
    code, type_key, area_code, unit_code = (
        row.values.get(k) for k in ("code", "point_type", "area", "responsible_unit")
    )
    if code:
        _exists_error(mode, row, spec, errors, code in existing)
        if code in existing and not jurisdiction.covers(existing[code]["area__path"]):
            errors.add(row.number, spec.header("code"), out_of_scope("点位", code))
    if type_key and type_key not in types:
        errors.add(row.number, spec.header("point_type"), f"点位类型「{type_key}」不存在")
    if area_code:
        area = areas.get(area_code)
        if area is None:
            errors.add(row.number, spec.header("area"), f"区域「{area_code}」不存在")
        elif not jurisdiction.covers(area["path"]):
            errors.add(row.number, spec.header("area"), out_of_scope("区域", area_code))
    if unit_code and unit_code not in units:
        errors.add(row.number, spec.header("responsible_unit"), f"单位「{unit_code}」不存在")


def _point_location(
    row: Row, spec: SheetSpec, errors: ErrorList
) -> tuple[float | None, float | None]:
    """WGS-84 lng/lat of a row, or (None, None); every coordinate problem is reported."""
    if "lng" in row.bad or "lat" in row.bad or "coord_system" in row.bad:
        return None, None
    lng, lat = row.values.get("lng"), row.values.get("lat")
    if lng is None and lat is None:
        return None, None
    if lng is None or lat is None:
        missing = "lng" if lng is None else "lat"
        errors.add(row.number, spec.header(missing), "经度和纬度须同时填写或同时留空")
        return None, None
    bad = False
    if not -180 <= lng <= 180:
        errors.add(row.number, spec.header("lng"), f"经度 {lng} 超出范围（-180～180）")
        bad = True
    if not -90 <= lat <= 90:
        errors.add(row.number, spec.header("lat"), f"纬度 {lat} 超出范围（-90～90）")
        bad = True
    if bad:
        return None, None
    if geo.out_of_china(lng, lat):
        errors.add(
            row.number,
            spec.header("lng"),
            f"坐标（{lng}，{lat}）不在中国境内，请检查经纬度是否填反",
        )
        return None, None
    system = row.values.get("coord_system") or geo.WGS84
    return geo.to_wgs84(lng, lat, system)


# Excel keeps 15-16 significant digits, so an exported coordinate can come back a few
# 1e-14 degrees off. Anything closer than this (about 0.1 mm) is the same place: keep the
# stored value so an unedited round trip changes nothing.
COORD_TOLERANCE = 1e-9


def _same_place(
    obj: Point, lng: float | None, lat: float | None
) -> tuple[float | None, float | None]:
    if obj.pk is None or None in (lng, lat, obj.lng, obj.lat):
        return lng, lat
    if abs(obj.lng - lng) <= COORD_TOLERANCE and abs(obj.lat - lat) <= COORD_TOLERANCE:
        return obj.lng, obj.lat
    return lng, lat


def _write_points(
    rows: list[Row], types: dict, areas: dict, units: dict, locations: dict
) -> ImportResult:
    result = ImportResult("points", POINTS.title, total=len(rows))
    existing = fetch_by(Point, "code", [r.values["code"] for r in rows])
    before = {code: _state(obj, _POINT_FIELDS) for code, obj in existing.items()}
    new = []
    for row in rows:
        code = row.values["code"]
        obj = existing.get(code) or Point(code=code)
        is_new = obj.pk is None
        data = {
            "name": row.values["name"],
            "point_type_id": types[row.values["point_type"]],
            "area_id": areas[row.values["area"]]["pk"],
            "responsible_unit_id": units[row.values["responsible_unit"]]["pk"],
        }
        optional(row, "address", "", data, is_new=is_new)
        optional(row, "person_in_charge", "", data, is_new=is_new)
        optional(row, "person_phone", "", data, is_new=is_new)
        optional(row, "is_active", True, data, is_new=is_new)
        if "lng" in row.values or is_new:
            data["lng"], data["lat"] = _same_place(obj, *locations[row.number])
        assign(obj, data)
        if is_new:
            new.append(obj)
    changed = [o for c, o in existing.items() if _state(o, _POINT_FIELDS) != before[c]]
    write_changes(Point, new, changed, _POINT_FIELDS)
    return _counted(result, len(new), changed, existing)


# --- Registry of kinds ----------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    key: str
    spec: SheetSpec
    run: Callable[..., ImportResult]

    @property
    def title(self) -> str:
        return self.spec.title


def kinds() -> dict[str, Kind]:
    """Every importable registry, in dependency order (areas before units before points)."""
    from civicloop.accounts import imports as account_imports

    return {
        "areas": Kind("areas", AREAS, import_areas),
        "units": Kind("units", UNITS, import_units),
        "point_types": Kind("point_types", POINT_TYPES, import_point_types),
        "points": Kind("points", POINTS, import_points),
        "users": Kind("users", account_imports.USERS, account_imports.import_users),
    }


def get_kind(key: str) -> Kind:
    """Look a kind up by key ("points") or Chinese title ("点位")."""
    for kind in kinds().values():
        if key in (kind.key, kind.title):
            return kind
    allowed = "、".join(f"{k.key}（{k.title}）" for k in kinds().values())
    raise ValidationFailed(f"未知的数据类型：{key}，可选：{allowed}")


def import_registry(
    kind: str, source: str | IO[bytes], *, user=None, mode: str = "upsert"
) -> ImportResult:
    return get_kind(kind).run(source, user=user, mode=mode)
