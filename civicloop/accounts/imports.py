"""Excel import/export of user accounts and their roles (memberships).

One row = one user + one role on a unit or an area. A user with several roles appears on
several rows with the same username (name and phone must agree). Existing users are
matched by username: their name/phone are updated and missing roles are added; roles are
never removed by an import, and passwords of existing users are never touched. New users
get the password from the file, or a generated one that is reported once.
"""

from __future__ import annotations

import re
import secrets
import string
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import Q

from civicloop.accounts.models import AREA_ROLES, UNIT_ROLES, Membership, Role, User
from civicloop.core.xlsx import Column, ErrorList, Row, SheetSpec, read_rows
from civicloop.orgs.imports import (
    _COMMON_NOTES,
    BATCH,
    ImportResult,
    Jurisdiction,
    _check_mode,
    _file_name,
    atomic_import,
    fetch_by,
    finish,
    out_of_scope,
    update_rows,
)
from civicloop.orgs.models import Area, Unit

USERNAME_RE = re.compile(r"^[\w.@+-]+\Z")
IMPORT_ROLES = tuple((r.value, r.label) for r in Role if r != Role.CITIZEN)
_ROLE_LABEL = dict(Role.choices)
# Unambiguous characters only: generated passwords are read off a screen or a printout.
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")

USERS = SheetSpec(
    kind="users",
    title="用户",
    columns=(
        Column(
            "username",
            "用户名",
            True,
            "code",
            max_length=150,
            note="登录账号：字母、数字、汉字及 @ . + - _；一人多个角色时每个角色一行",
        ),
        Column("display_name", "姓名", True, max_length=64),
        Column("phone", "手机号", kind="mobile", note="11位手机号"),
        Column(
            "role",
            "角色",
            True,
            "choice",
            choices=IMPORT_ROLES,
            aliases={
                "创文办": Role.COMMAND,
                "指挥中心": Role.COMMAND,
                "调度员": Role.COMMAND,
                "包片领导": Role.LEADER,
                "经办人": Role.UNIT_HANDLER,
                "联络员": Role.UNIT_HANDLER,
                "负责人": Role.UNIT_LEADER,
            },
        ),
        Column("unit", "单位编码", kind="code", note="单位经办人、单位负责人填写单位编码"),
        Column(
            "area",
            "区域编码",
            kind="code",
            note="创文办/指挥中心、领导、督查员、网格员填写区域编码",
        ),
        Column("title", "职务", max_length=64),
        Column(
            "password",
            "初始密码",
            max_length=128,
            note="仅用于新建用户；留空则自动生成，并在导入结果中显示（只显示一次）。"
            "已存在用户的密码不会被修改",
        ),
    ),
    notes=_COMMON_NOTES
    + (
        "已存在的用户按用户名匹配：更新姓名和手机号，补充文件中新增的角色；导入不会删除角色。",
        "市民账号不通过导入创建。",
    ),
)


def generate_password(length: int = 12) -> str:
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def import_users(source: str | IO[bytes], *, user=None, mode: str = "upsert") -> ImportResult:
    _check_mode(mode)
    jurisdiction = Jurisdiction(user)
    spec, errors = USERS, ErrorList()
    rows = read_rows(source, spec, errors)
    _dedupe_memberships(rows, errors)
    units = fetch_by(
        Unit,
        "code",
        [r.values["unit"] for r in rows if r.values.get("unit")],
        values=("pk", "area__path"),
    )
    areas = fetch_by(
        Area,
        "code",
        [r.values["area"] for r in rows if r.values.get("area")],
        values=("pk", "path"),
    )
    existing = fetch_by(
        User, "username", [r.values["username"] for r in rows if r.values.get("username")]
    )
    memberships = _memberships_of(existing.values())
    first: dict[str, Row] = {}
    for row in rows:
        _check_user_row(row, errors, units, areas, jurisdiction)
        username = row.values.get("username")
        if not username or "username" in row.bad:
            continue
        if username in first:
            _check_same_person(row, first[username], errors)
            continue
        first[username] = row
        _check_account(row, errors, existing.get(username), memberships, jurisdiction, mode)
    errors.raise_if_any()
    with atomic_import():
        result = _write_users(rows, first, existing, memberships, units, areas)
        return finish(user, result, spec, _file_name(source))


def _dedupe_memberships(rows: list[Row], errors: ErrorList) -> None:
    seen: dict[tuple, int] = {}
    for row in rows:
        key = tuple(row.values.get(k) for k in ("username", "role", "unit", "area"))
        if not key[0] or not key[1]:
            continue
        if key in seen:
            errors.add(
                row.number,
                USERS.header("username"),
                f"用户「{key[0]}」的该角色在文件中重复（与第 {seen[key]} 行相同）",
            )
        else:
            seen[key] = row.number


def _memberships_of(users) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    ids = [u.pk for u in users]
    for batch_start in range(0, len(ids), 900):
        batch = ids[batch_start : batch_start + 900]
        for m in Membership.objects.filter(user_id__in=batch).values(
            "pk",
            "user_id",
            "role",
            "unit_id",
            "area_id",
            "title",
            "area__path",
            "unit__area__path",
        ):
            found.setdefault(m["user_id"], []).append(m)
    return found


def _check_user_row(
    row: Row, errors: ErrorList, units: dict, areas: dict, jurisdiction: Jurisdiction
) -> None:
    header = USERS.header
    username, role = row.values.get("username"), row.values.get("role")
    unit_code, area_code = row.values.get("unit"), row.values.get("area")
    if username and not USERNAME_RE.match(username):
        errors.add(
            row.number,
            header("username"),
            f"用户名「{username}」只能包含字母、数字、汉字及 @ . + - _",
        )
    if not role or "role" in row.bad:
        return
    label = _ROLE_LABEL[role]
    if role in UNIT_ROLES:
        if area_code:
            errors.add(row.number, header("area"), f"角色「{label}」按单位授权，区域编码应留空")
        if not unit_code:
            if "unit" not in row.bad:
                errors.add(row.number, header("unit"), f"角色「{label}」须填写单位编码")
        elif unit_code not in units:
            errors.add(row.number, header("unit"), f"单位「{unit_code}」不存在")
        elif not jurisdiction.covers(units[unit_code]["area__path"]):
            errors.add(row.number, header("unit"), out_of_scope("单位", unit_code))
    elif role in AREA_ROLES:
        if unit_code:
            errors.add(row.number, header("unit"), f"角色「{label}」按区域授权，单位编码应留空")
        if not area_code:
            if "area" not in row.bad:
                errors.add(row.number, header("area"), f"角色「{label}」须填写区域编码")
        elif area_code not in areas:
            errors.add(row.number, header("area"), f"区域「{area_code}」不存在")
        elif not jurisdiction.covers(areas[area_code]["path"]):
            errors.add(row.number, header("area"), out_of_scope("区域", area_code))


def _check_same_person(row: Row, first: Row, errors: ErrorList) -> None:
    """Later rows of the same username must not contradict the first one."""
    for key in ("display_name", "phone"):
        value = row.values.get(key)
        if value is not None and value != first.values.get(key) and key not in row.bad:
            errors.add(
                row.number,
                USERS.header(key),
                f"与第 {first.number} 行同一用户的{USERS.header(key)}不一致",
            )
    if row.values.get("password"):
        errors.add(
            row.number,
            USERS.header("password"),
            f"同一用户的初始密码只需在第 {first.number} 行填写",
        )


def _check_account(
    row: Row,
    errors: ErrorList,
    existing: User | None,
    memberships: dict[int, list[dict]],
    jurisdiction: Jurisdiction,
    mode: str,
) -> None:
    username = row.values["username"]
    if existing is None:
        password = row.values.get("password")
        if password:
            try:
                validate_password(password, User(username=username))
            except ValidationError as exc:
                errors.add(row.number, USERS.header("password"), "；".join(exc.messages))
        return
    if mode == "create":
        errors.add(row.number, USERS.header("username"), f"用户名「{username}」已存在于系统中")
    elif not _user_in_jurisdiction(existing, memberships.get(existing.pk, []), jurisdiction):
        errors.add(row.number, USERS.header("username"), out_of_scope("用户", username))


def _user_in_jurisdiction(user: User, memberships: list[dict], jurisdiction: Jurisdiction) -> bool:
    """An importer may change a user only if every role of that user is within its reach."""
    if jurisdiction.unlimited:
        return True
    if user.is_superuser or user.is_staff:
        return False
    return all(
        jurisdiction.covers(m["area__path"] or m["unit__area__path"])
        for m in memberships
        if m["role"] != Role.CITIZEN
    )


def _write_users(
    rows: list[Row],
    first: dict[str, Row],
    existing: dict[str, User],
    memberships: dict[int, list[dict]],
    units: dict,
    areas: dict,
) -> ImportResult:
    result = ImportResult("users", USERS.title, total=len(rows))
    new_users, touched = _save_accounts(first, existing, result)
    users = {**existing, **{u.username: u for u in new_users}}
    current = {
        (m["user_id"], m["role"], m["unit_id"], m["area_id"]): m
        for ms in memberships.values()
        for m in ms
    }
    to_add, to_retitle = [], []
    for row in rows:
        user = users[row.values["username"]]
        unit = units[row.values["unit"]]["pk"] if row.values.get("unit") else None
        area = areas[row.values["area"]]["pk"] if row.values.get("area") else None
        title = row.values.get("title") or ""
        known = current.get((user.pk, row.values["role"], unit, area))
        if known is None:
            to_add.append(
                Membership(
                    user=user, role=row.values["role"], unit_id=unit, area_id=area, title=title
                )
            )
            touched.add(user.username)
        elif "title" in row.values and known["title"] != title:
            to_retitle.append(Membership(pk=known["pk"], title=title))
            touched.add(user.username)
    Membership.objects.bulk_create(to_add, batch_size=BATCH)
    update_rows(Membership, to_retitle, ["title"])
    touched -= {u.username for u in new_users}
    result.created, result.updated = len(new_users), len(touched)
    result.unchanged = len(existing) - len(touched)
    result.extra = {"memberships_added": len(to_add)}
    return result


def _save_accounts(
    first: dict[str, Row], existing: dict[str, User], result: ImportResult
) -> tuple[list[User], set[str]]:
    """Create new users (hashing passwords in parallel) and update changed names/phones."""
    new_rows = [row for name, row in first.items() if name not in existing]
    passwords = []
    for row in new_rows:
        password = row.values.get("password")
        if not password:
            password = generate_password()
            result.passwords.append((row.values["username"], password))
        passwords.append(password)
    # PBKDF2 releases the GIL, so threads make a batch of new accounts proportionally faster.
    with ThreadPoolExecutor(max_workers=8) as pool:
        hashes = list(pool.map(make_password, passwords))
    new_users = [
        User(
            username=row.values["username"],
            display_name=row.values["display_name"],
            phone=row.values.get("phone") or "",
            password=hashed,
        )
        for row, hashed in zip(new_rows, hashes, strict=True)
    ]
    User.objects.bulk_create(new_users, batch_size=BATCH)
    changed = []
    for name, user in existing.items():
        row = first[name]
        data: dict[str, Any] = {"display_name": row.values["display_name"]}
        if "phone" in row.values:
            data["phone"] = row.values.get("phone") or ""
        if any(getattr(user, k) != v for k, v in data.items()):
            for k, v in data.items():
                setattr(user, k, v)
            changed.append(user)
    update_rows(User, changed, ["display_name", "phone"])
    return new_users, {u.username for u in changed}


# --- Export ---------------------------------------------------------------------------


def user_export_rows(user=None):
    """One dict per role of every user the exporter may manage (command, in jurisdiction)."""
    jurisdiction = Jurisdiction(user)  # refuses non-command users: phones are personal data
    return _membership_rows(jurisdiction)


def _membership_rows(jurisdiction: Jurisdiction):
    qs = Membership.objects.exclude(role=Role.CITIZEN).select_related("user", "unit", "area")
    if not jurisdiction.unlimited:
        q = Q(pk__in=[])
        for path in jurisdiction.paths:
            q |= Q(area__path__startswith=path) | Q(unit__area__path__startswith=path)
        qs = qs.filter(q)
    for m in qs.order_by("user__username", "role", "pk").iterator(chunk_size=2000):
        yield {
            "username": m.user.username,
            # 姓名 is required on import; fall back so an export always imports again.
            "display_name": m.user.display_name or m.user.username,
            "phone": m.user.phone,
            "role": m.role,
            "unit": m.unit.code if m.unit_id else None,
            "area": m.area.code if m.area_id else None,
            "title": m.title,
            "password": None,
        }
