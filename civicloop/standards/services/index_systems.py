"""Every write of index systems (测评体系) and their indicator trees.

Who writes: the city command centre (`command` over a root area, or a superuser). Index
systems are city-wide reference data, so a district's command centre reads them but does
not change them. `user=None` is a system write (management commands, demo builder).

Rules:
* A tree is written in bulk, level by level (one INSERT per depth, then paths), with
  jieba search tokens computed here, never in save().
* Only a draft's tree is replaced by an import; an active version is changed by copying
  it into a new draft (`index_system_copy`) and activating that.
* Activating a version archives the other active version of the same kind and moves the
  check items' indicator links to the new version's standards with the same code, so the
  inspections keep scoring against the version in force.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from civicloop.accounts.models import Role
from civicloop.accounts.scope import scope_of
from civicloop.core import audit
from civicloop.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from civicloop.standards import search
from civicloop.standards.index_xlsx import NodeSpec, ParsedTree, read_index_system
from civicloop.standards.models import (
    CheckItem,
    IndexSystem,
    IndexSystemKind,
    IndexSystemStatus,
    Indicator,
)

BATCH = 1000
STATUS_MOVES: dict[str, set[str]] = {
    IndexSystemStatus.DRAFT: {IndexSystemStatus.ACTIVE, IndexSystemStatus.ARCHIVED},
    IndexSystemStatus.ACTIVE: {IndexSystemStatus.ARCHIVED},
    IndexSystemStatus.ARCHIVED: {IndexSystemStatus.ACTIVE},
}
SYSTEM_FIELDS = ("name", "code", "kind", "version", "year", "total_score", "description")


# --- Permission ---------------------------------------------------------------------------


def can_edit_standards(user) -> bool:
    """The city command centre (command over a root area) or a superuser."""
    if user is None:
        return False
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    return any(p.count("/") == 2 for p in scope.area_paths.get(Role.COMMAND, ()))


def require_editor(user) -> None:
    """user=None is a system write (commands, demo); anyone else must be an editor."""
    if user is not None and not can_edit_standards(user):
        raise NotPermitted("只有市创文办（指挥中心）可以维护测评体系和检查项")


# --- Systems ------------------------------------------------------------------------------


def _clean_system_fields(data: dict[str, Any], *, instance: IndexSystem | None = None) -> dict:
    unknown = set(data) - set(SYSTEM_FIELDS)
    if unknown:
        raise ValidationFailed(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    for key in ("name", "code", "version"):
        if key in data:
            data[key] = (data[key] or "").strip()
            if not data[key]:
                errors[key] = ["不能为空"]
    if "kind" in data and data["kind"] not in IndexSystemKind.values:
        errors["kind"] = [f"未知的体系类型：{data['kind']}"]
    code = data.get("code")
    if (
        code
        and IndexSystem.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists()
    ):
        errors["code"] = [f"体系编码「{code}」已存在"]
    if errors:
        raise ValidationFailed("测评体系信息有误", details=errors)
    return data


@transaction.atomic
def index_system_create(*, user, **data) -> IndexSystem:
    require_editor(user)
    data = _clean_system_fields(dict(data))
    missing = [k for k in ("name", "code", "kind", "version") if not data.get(k)]
    if missing:
        raise ValidationFailed("测评体系信息有误", details={k: ["必填"] for k in missing})
    system = IndexSystem.objects.create(**data)
    audit.record(user, "index_system_create", system)
    return system


@transaction.atomic
def index_system_update(*, user, system: IndexSystem, **data) -> IndexSystem:
    require_editor(user)
    data = _clean_system_fields(dict(data), instance=system)
    for key, value in data.items():
        setattr(system, key, value)
    system.save(update_fields=[*data, "updated_at"])
    audit.record(user, "index_system_update", system, data={"fields": sorted(data)})
    return system


@transaction.atomic
def index_system_set_status(*, user, system: IndexSystem, status: str) -> dict[str, int]:
    """Move a version to draft/active/archived; returns what else changed."""
    require_editor(user)
    current = system.status
    if status not in STATUS_MOVES.get(current, set()):
        raise TransitionNotAllowed(
            f"测评体系不能从「{IndexSystemStatus(current).label}」改为"
            f"「{dict(IndexSystemStatus.choices).get(status, status)}」"
        )
    # Compare-and-set: a concurrent change of the status makes this a no-op, refused.
    if not IndexSystem.objects.filter(pk=system.pk, status=current).update(status=status):
        from civicloop.core.errors import ConcurrentUpdate

        raise ConcurrentUpdate()
    system.status = status
    result = {"archived": 0, "relinked": 0}
    if status == IndexSystemStatus.ACTIVE:
        others = IndexSystem.objects.filter(
            kind=system.kind, status=IndexSystemStatus.ACTIVE
        ).exclude(pk=system.pk)
        other_ids = list(others.values_list("pk", flat=True))
        result["relinked"] = relink_check_items(from_systems=other_ids, to_system=system)
        result["archived"] = others.update(status=IndexSystemStatus.ARCHIVED)
    audit.record(
        user,
        "index_system_status",
        system,
        summary=f"{system} {IndexSystemStatus(current).label} → {system.get_status_display()}",
        data={"from": current, "to": status, **result},
    )
    return result


def relink_check_items(*, from_systems: list[int], to_system: IndexSystem) -> int:
    """Point check items linked to `from_systems` at the same-coded nodes of `to_system`."""
    if not from_systems:
        return 0
    targets = dict(Indicator.objects.filter(system=to_system).values_list("code", "pk"))
    moved = 0
    by_target: dict[int, list[int]] = defaultdict(list)
    for item_id, code in CheckItem.objects.filter(
        indicator__system_id__in=from_systems
    ).values_list("pk", "indicator__code"):
        if code in targets:
            by_target[targets[code]].append(item_id)
    for target, ids in by_target.items():
        moved += CheckItem.objects.filter(pk__in=ids).update(indicator_id=target)
    return moved


@transaction.atomic
def index_system_delete(*, user, system: IndexSystem) -> None:
    require_editor(user)
    if system.status != IndexSystemStatus.DRAFT:
        raise TransitionNotAllowed("只能删除草稿状态的测评体系（已启用或归档的请保留）")
    label = str(system)
    try:
        _delete_tree(system)
        system.delete()
    except ProtectedError as exc:
        raise ValidationFailed("该体系的指标已被引用，不能删除") from exc
    audit.record(
        user, "index_system_delete", None, object_type="standards.indexsystem", summary=label
    )


def _delete_tree(system: IndexSystem) -> None:
    # parent is PROTECT: cut the links first so the whole tree goes in one DELETE.
    nodes = Indicator.objects.filter(system=system)
    nodes.update(parent=None)
    nodes.delete()


# --- Trees --------------------------------------------------------------------------------


def write_tree(system: IndexSystem, tree: ParsedTree) -> int:
    """Insert the nodes of `tree` under `system` (empty) in bulk; returns rows written."""
    by_depth: dict[int, list[NodeSpec]] = defaultdict(list)
    for node in tree.walk():
        by_depth[node.depth].append(node)
    objs: dict[int, Indicator] = {}  # id(spec) -> row
    for depth in sorted(by_depth):
        rows = []
        for spec in by_depth[depth]:
            row = Indicator(
                system=system,
                parent=objs[id(spec.parent)] if spec.parent else None,
                level=spec.level,
                code=spec.code,
                numbering=spec.numbering,
                text=spec.text,
                score=spec.score,
                weight=spec.weight,
                methods=list(spec.methods),
                lead_unit=spec.lead_unit,
                principal_leader=spec.principal_leader,
                deputy_leader=spec.deputy_leader,
                direct_leader=spec.direct_leader,
                is_negative=spec.is_negative,
                search_tokens=search.search_tokens(spec.text),
                sort_order=spec.sort_order,
                depth=depth,
            )
            objs[id(spec)] = row
            rows.append(row)
        Indicator.objects.bulk_create(rows, batch_size=BATCH)
        for row in rows:
            prefix = row.parent.path if row.parent is not None else "/"
            row.path = f"{prefix}{row.pk}/"
        Indicator.objects.bulk_update(rows, ["path"], batch_size=BATCH)
    _write_m2m(objs, tree)
    return len(objs)


def _write_m2m(objs: dict[int, Indicator], tree: ParsedTree) -> None:
    coop = Indicator.cooperating_units.through
    types = Indicator.point_types.through
    coop_rows, type_rows = [], []
    for spec in tree.walk():
        pk = objs[id(spec)].pk
        coop_rows += [coop(indicator_id=pk, unit_id=u.pk) for u in spec.cooperating_units]
        type_rows += [types(indicator_id=pk, pointtype_id=t.pk) for t in spec.point_types]
    coop.objects.bulk_create(coop_rows, batch_size=BATCH)
    types.objects.bulk_create(type_rows, batch_size=BATCH)


def read_tree(system: IndexSystem) -> ParsedTree:
    """The stored tree as NodeSpecs (for export and copy): four queries in all."""
    nodes = list(
        Indicator.objects.filter(system=system)
        .select_related("lead_unit")
        .prefetch_related("cooperating_units", "point_types")
        .order_by("depth", "sort_order", "code")
    )
    specs: dict[int, NodeSpec] = {}
    roots: list[NodeSpec] = []
    for node in nodes:
        spec = NodeSpec(
            level=node.level,
            text=node.text,
            code=node.code,
            numbering=node.numbering,
            score=node.score,
            weight=node.weight,
            methods=list(node.methods or []),
            lead_unit=node.lead_unit,
            cooperating_units=sorted(node.cooperating_units.all(), key=lambda u: u.pk),
            principal_leader=node.principal_leader,
            deputy_leader=node.deputy_leader,
            direct_leader=node.direct_leader,
            point_types=sorted(node.point_types.all(), key=lambda t: t.pk),
            is_negative=node.is_negative,
            sort_order=node.sort_order,
        )
        specs[node.pk] = spec
        parent = specs.get(node.parent_id) if node.parent_id else None
        spec.parent = parent
        (parent.children if parent else roots).append(spec)
    return ParsedTree(form="db", roots=roots)


@dataclass
class ImportResult:
    system: IndexSystem
    nodes: int
    form: str
    relinked: int = 0

    def summary(self) -> str:
        form = "层级表" if self.form == "flat" else "编码表"
        text = f"已导入「{self.system}」{self.nodes} 个指标节点（{form}）"
        if self.relinked:
            text += f"，{self.relinked} 个检查项重新关联到同编码的测评标准"
        return text


@transaction.atomic
def index_system_import(
    *,
    user,
    source: str | IO[bytes],
    system: IndexSystem | None = None,
    new_system: dict[str, Any] | None = None,
) -> ImportResult:
    """Import a tree from XLSX into a new system (`new_system` fields) or replace the tree
    of a draft `system`. All-or-nothing: ImportFailed with every bad row, nothing written.
    """
    require_editor(user)
    if (system is None) == (new_system is None):
        raise ValidationFailed("请选择导入到已有的草稿体系，或填写新体系的信息")
    if system is not None and system.status != IndexSystemStatus.DRAFT:
        raise TransitionNotAllowed("只能向草稿状态的测评体系导入；请先复制为新版本")
    tree = read_index_system(source)  # raises before anything is written
    relinked = 0
    if system is None:
        system = index_system_create(user=user, **new_system)
        links: dict[int, str] = {}
    else:
        links = dict(
            CheckItem.objects.filter(indicator__system=system).values_list("pk", "indicator__code")
        )
        _delete_tree(system)
    try:
        count = write_tree(system, tree)
    except IntegrityError as exc:  # codes are checked while reading; this is a safety net
        raise ValidationFailed("指标编码重复，导入已取消") from exc
    if links:
        targets = dict(Indicator.objects.filter(system=system).values_list("code", "pk"))
        for item_id, code in links.items():
            if code in targets:
                relinked += CheckItem.objects.filter(pk=item_id).update(indicator_id=targets[code])
    audit.record(
        user,
        "index_system_import",
        system,
        data={"nodes": count, "form": tree.form, "relinked": relinked},
    )
    return ImportResult(system=system, nodes=count, form=tree.form, relinked=relinked)


@transaction.atomic
def index_system_copy(
    *,
    user,
    system: IndexSystem,
    code: str,
    version: str,
    name: str | None = None,
    year: int | None = None,
) -> IndexSystem:
    """Start the next version: a draft with the same tree (codes, texts, scores, methods,
    units, leaders, point types). Check items stay linked to the source version until
    the copy is activated (see index_system_set_status)."""
    require_editor(user)
    copy = index_system_create(
        user=None,
        name=name or system.name,
        code=code,
        kind=system.kind,
        version=version,
        year=year if year is not None else system.year,
        total_score=system.total_score,
        description=system.description,
    )
    copy.based_on = system
    copy.save(update_fields=["based_on"])
    count = write_tree(copy, read_tree(system))
    audit.record(user, "index_system_copy", copy, data={"from": system.pk, "nodes": count})
    return copy


# --- Single nodes -------------------------------------------------------------------------

# Who is responsible may change while a version is in force; wording and scores may not.
RESPONSIBILITY_FIELDS = {
    "lead_unit",
    "cooperating_units",
    "principal_leader",
    "deputy_leader",
    "direct_leader",
}
CONTENT_FIELDS = {"numbering", "text", "score", "weight", "methods", "point_types", "is_negative"}


@transaction.atomic
def indicator_update(*, user, indicator: Indicator, **data) -> Indicator:
    require_editor(user)
    unknown = set(data) - RESPONSIBILITY_FIELDS - CONTENT_FIELDS
    if unknown:
        raise ValidationFailed(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    status = indicator.system.status
    if status == IndexSystemStatus.ARCHIVED:
        raise TransitionNotAllowed("已归档的测评体系不能修改")
    if status == IndexSystemStatus.ACTIVE and set(data) & CONTENT_FIELDS:
        raise TransitionNotAllowed(
            "已启用的测评体系只能调整责任单位和责任领导；修改内容请复制为新版本"
        )
    m2m = {k: data.pop(k) for k in ("cooperating_units", "point_types") if k in data}
    if "methods" in data:
        from civicloop.standards.models import Method

        bad = [m for m in data["methods"] if m not in Method.values]
        if bad:
            raise ValidationFailed(f"未知的测评方法：{'、'.join(bad)}")
    for key, value in data.items():
        setattr(indicator, key, value)
    fields = list(data)
    if "text" in data:
        if not (data["text"] or "").strip():
            raise ValidationFailed("内容不能为空", details={"text": ["不能为空"]})
        indicator.search_tokens = search.search_tokens(indicator.text)
        fields.append("search_tokens")
    if fields:
        indicator.save(update_fields=[*fields, "updated_at"])
    for key, values in m2m.items():
        getattr(indicator, key).set(values)
    audit.record(user, "indicator_update", indicator, data={"fields": sorted([*fields, *m2m])})
    return indicator


def reindex_search_tokens(system: IndexSystem | None = None) -> int:
    """Recompute the jieba tokens (after a jieba dictionary change); returns rows."""
    qs = Indicator.objects.all() if system is None else Indicator.objects.filter(system=system)
    rows = list(qs.only("pk", "text"))
    for row in rows:
        row.search_tokens = search.search_tokens(row.text)
    Indicator.objects.bulk_update(rows, ["search_tokens"], batch_size=BATCH)
    return len(rows)
