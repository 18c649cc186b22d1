from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    COMMAND = "command", "创文办/指挥中心"
    LEADER = "leader", "领导"
    INSPECTOR = "inspector", "督查员"
    UNIT_HANDLER = "unit_handler", "单位经办人"
    UNIT_LEADER = "unit_leader", "单位负责人"
    GRID_WORKER = "grid_worker", "网格员"
    CITIZEN = "citizen", "市民"


# Roles whose scope is an area subtree, and roles whose scope is a unit subtree.
AREA_ROLES = frozenset({Role.COMMAND, Role.LEADER, Role.INSPECTOR, Role.GRID_WORKER})
UNIT_ROLES = frozenset({Role.UNIT_HANDLER, Role.UNIT_LEADER})


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=64, blank=True)
    phone = models.CharField("手机号", max_length=32, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Membership(models.Model):
    """A role held by a user on a unit (unit roles) or an area (area roles).

    Citizens hold the role with neither. Scope is data, not code.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name="用户"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name="单位",
    )
    area = models.ForeignKey(
        "orgs.Area",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name="区域",
    )
    title = models.CharField("职务", max_length=64, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    Q(role__in=sorted(UNIT_ROLES), unit__isnull=False, area__isnull=True)
                    | Q(
                        role__in=sorted(AREA_ROLES),
                        area__isnull=False,
                        unit__isnull=True,
                    )
                    | Q(role=Role.CITIZEN, unit__isnull=True, area__isnull=True)
                ),
            ),
            # One row per (user, role, target). Partial constraints instead of
            # nulls_distinct=False, which SQLite ignores.
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=Q(unit__isnull=False),
                name="membership_unique_unit",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=Q(area__isnull=False),
                name="membership_unique_area",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(unit__isnull=True, area__isnull=True),
                name="membership_unique_unscoped",
            ),
        ]

    def __str__(self) -> str:
        target = self.unit or self.area or ""
        return f"{self.user} · {self.get_role_display()} · {target}"
