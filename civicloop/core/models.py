"""Shared base models, the audit trail and the editable holiday table."""

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class TreeNode(models.Model):
    """A node of a tree kept as a materialised path ("/1/5/23/").

    Subtree queries are a single indexed prefix match (`path__startswith`), which works the
    same on SQLite and PostgreSQL. The path is maintained by `civicloop.core.trees`, only
    from services, never from save() overrides.
    """

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级",
    )
    path = models.CharField("路径", max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField("层级深度", default=0, editable=False)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One append-only row per registry write (who changed what, when, how)."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    action = models.CharField("操作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    summary = models.CharField("摘要", max_length=255, blank=True)
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        verbose_name = "操作日志"
        verbose_name_plural = "操作日志"
        indexes = [models.Index(fields=["object_type", "object_id"])]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class HolidayOverride(models.Model):
    """An admin-editable day that overrides (or extends) the chinese-calendar data.

    `is_workday=False` marks a holiday; `is_workday=True` marks an adjusted working day
    (调休上班), e.g. a Sunday. Next year's State Council schedule is entered here as soon as
    it is published each November/December, before the package knows it.
    """

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日", default=False)
    name = models.CharField("名称", max_length=64, blank=True)

    class Meta:
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        kind = "上班" if self.is_workday else "休息"
        return f"{self.date} {self.name} {kind}"
