"""Every write of check items (检查项): what an inspector checks at a point of a type.

Validation lives here (shared by pages, API, XLSX and XLSForm imports):
* pass/fail and deduction items need a positive 满分; count items also need 每处扣分;
* the problem category a failure opens must be a 小类 (it carries the deadline policy);
* the linked indicator, if any, must be a node of an index system (any level; a 测评标准
  is the usual target);
* codes are unique per point type.
Writers: the city command centre (see index_systems.can_edit_standards).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, ProtectedError

from civicloop.core import audit
from civicloop.core.errors import ValidationFailed
from civicloop.orgs.models import PointType
from civicloop.standards.models import CheckItem, JudgeMode
from civicloop.standards.services.index_systems import require_editor

FIELDS = (
    "point_type",
    "indicator",
    "code",
    "text",
    "judge_mode",
    "max_score",
    "deduction_per_count",
    "is_critical",
    "category",
    "guidance",
    "example_photo",
    "sort_order",
    "is_active",
)


def validate_item(data: dict[str, Any]) -> dict[str, list[str]]:
    """Field → messages for a complete set of check item values (empty when fine)."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not (data.get("code") or "").strip():
        add("code", "检查项编码不能为空")
    elif len(data["code"]) > 64:
        add("code", "检查项编码最多 64 个字符")
    if not (data.get("text") or "").strip():
        add("text", "检查内容不能为空")
    mode = data.get("judge_mode") or JudgeMode.PASS_FAIL
    if mode not in JudgeMode.values:
        add("judge_mode", f"未知的判定方式：{mode}")
    max_score = data.get("max_score")
    if max_score is None or Decimal(str(max_score)) <= 0:
        add("max_score", "满分必须大于 0")
    per = data.get("deduction_per_count")
    if mode == JudgeMode.COUNT and (per is None or Decimal(str(per)) <= 0):
        add("deduction_per_count", "计数扣分的检查项必须填写每处扣分（大于 0）")
    if per is not None and Decimal(str(per)) < 0:
        add("deduction_per_count", "每处扣分不能为负数")
    category = data.get("category")
    if category is not None and category.parent_id is None:
        add("category", f"问题分类「{category.name}」是大类，请选择小类（小类才有处置时限）")
    if data.get("point_type") is None:
        add("point_type", "请选择点位类型")
    return errors


def _check_unique(point_type: PointType, code: str, exclude_pk: int | None = None) -> None:
    clash = CheckItem.objects.filter(point_type=point_type, code=code).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationFailed(
            f"点位类型「{point_type.name}」下已有编码为「{code}」的检查项",
            details={"code": ["该点位类型下编码已存在"]},
        )


@transaction.atomic
def check_item_create(*, user, **data) -> CheckItem:
    require_editor(user)
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationFailed(f"未知字段：{'、'.join(sorted(unknown))}")
    data.setdefault("judge_mode", JudgeMode.PASS_FAIL)
    data.setdefault("max_score", Decimal(1))
    errors = validate_item(data)
    if errors:
        raise ValidationFailed("检查项填写有误", details=errors)
    data["code"] = data["code"].strip()
    _check_unique(data["point_type"], data["code"])
    if data.get("sort_order") is None:
        last = CheckItem.objects.filter(point_type=data["point_type"]).aggregate(
            m=Max("sort_order")
        )
        data["sort_order"] = (last["m"] or 0) + 10
    item = CheckItem.objects.create(**data)
    audit.record(user, "check_item_create", item)
    return item


@transaction.atomic
def check_item_update(*, user, item: CheckItem, **data) -> CheckItem:
    require_editor(user)
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationFailed(f"未知字段：{'、'.join(sorted(unknown))}")
    merged = {f: getattr(item, f) for f in FIELDS if f != "example_photo"}
    merged.update(data)
    errors = validate_item(merged)
    if errors:
        raise ValidationFailed("检查项填写有误", details=errors)
    if "code" in data or "point_type" in data:
        data["code"] = merged["code"].strip()
        _check_unique(merged["point_type"], data["code"], exclude_pk=item.pk)
    for key, value in data.items():
        setattr(item, key, value)
    item.save(update_fields=[*data, "updated_at"])
    audit.record(user, "check_item_update", item, data={"fields": sorted(data)})
    return item


@transaction.atomic
def check_item_delete(*, user, item: CheckItem) -> None:
    require_editor(user)
    label = str(item)
    pk = item.pk
    try:
        item.delete()
    except ProtectedError as exc:
        raise ValidationFailed("该检查项已有检查记录，不能删除；可以将其停用") from exc
    audit.record(
        user,
        "check_item_delete",
        None,
        object_type="standards.checkitem",
        summary=label,
        data={"id": pk},
    )


@transaction.atomic
def check_item_move(*, user, item: CheckItem, direction: str) -> None:
    """Swap with the previous ("up") or next ("down") item of the same point type."""
    require_editor(user)
    items = list(
        CheckItem.objects.filter(point_type_id=item.point_type_id).order_by("sort_order", "code")
    )
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    if direction not in {"up", "down"}:
        raise ValidationFailed("方向只能是 up 或 down")
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    # Renumber the whole list in steps of 10, so ties from imports disappear too.
    for position, other in enumerate(items, start=1):
        other.sort_order = position * 10
    CheckItem.objects.bulk_update(items, ["sort_order"])
    audit.record(user, "check_item_move", item, data={"direction": direction})


# --- Bulk upsert (XLSX / XLSForm imports) -----------------------------------------------


@dataclass
class BulkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"新增 {self.created} 个、更新 {self.updated} 个、未变化 {self.unchanged} 个检查项"

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "notes": self.notes,
        }


BULK_FIELDS = [f for f in FIELDS if f not in {"point_type", "code", "example_photo"}]


def check_items_upsert(*, user, rows: list[dict[str, Any]], source: str = "") -> BulkResult:
    """Create or update check items by (point type, code); rows are validated already.

    Items absent from `rows` are left alone (an import never deletes). One transaction;
    the caller's row validation guarantees nothing fails half-way.
    """
    require_editor(user)
    result = BulkResult()
    with transaction.atomic():
        keys = {(r["point_type"].pk, r["code"]) for r in rows}
        type_ids = {k[0] for k in keys}
        existing = {
            (ci.point_type_id, ci.code): ci
            for ci in CheckItem.objects.filter(point_type_id__in=type_ids)
        }
        next_order: dict[int, int] = {}
        new, changed = [], []
        for row in rows:
            key = (row["point_type"].pk, row["code"])
            obj = existing.get(key)
            if obj is None:
                order = row.get("sort_order")
                if order is None:
                    base = next_order.get(key[0]) or _max_order(key[0])
                    order = base + 10
                    next_order[key[0]] = order
                values = {k: row[k] for k in BULK_FIELDS if k in row and k != "sort_order"}
                new.append(
                    CheckItem(
                        point_type=row["point_type"], code=row["code"], sort_order=order, **values
                    )
                )
                continue
            dirty = False
            for k in BULK_FIELDS:
                # Only the columns the source carries; sort order only when given.
                if k not in row or (k == "sort_order" and row[k] is None):
                    continue
                if getattr(obj, k) != row[k]:
                    setattr(obj, k, row[k])
                    dirty = True
            if dirty:
                changed.append(obj)
            else:
                result.unchanged += 1
        CheckItem.objects.bulk_create(new, batch_size=500)
        if changed:
            CheckItem.objects.bulk_update(changed, BULK_FIELDS, batch_size=500)
        result.created, result.updated = len(new), len(changed)
        audit.record(
            user,
            "check_items_import",
            None,
            object_type="standards.checkitem",
            summary=f"{source} {result.summary()}"[:255],
            data=result.as_dict(),
        )
    return result


def _max_order(point_type_id: int) -> int:
    found = CheckItem.objects.filter(point_type_id=point_type_id).aggregate(m=Max("sort_order"))
    return found["m"] or 0
