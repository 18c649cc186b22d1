"""Assessment schemes, periods, computed scores, published snapshots (考核排名).

- `Scheme` (考核方案): period kind, object group (which units or areas are assessed),
  grade bands, red/black list sizes, red flag and accountability rules, base score.
- `SchemeComponent`: one weighted component of a scheme; `key` names a class in the
  component registry (`civicloop.scoring.components.REGISTRY`), `params` configure it.
- `AssessedObject`: what is ranked — exactly one of a Unit or an Area.
- `Period` (考核周期): one week/month/quarter/year of a scheme; draft → computed →
  published (compare-and-set on status + version).
- `Computation`: the background job computing a period (status, progress %, error).
- `ObjectScore` + `ComponentScore`: the computed (not yet frozen) result and its breakdown.
- `ManualAdjustment`: a manual bonus/deduction with reason and evidence.
- `PublishedSnapshot` + `SnapshotRow`: the frozen, versioned result. Never updated.

No side effects here: every write is in `civicloop.scoring.services`.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from civicloop.core.models import TimeStampedModel


def component_label(key: str) -> str:
    """The Chinese name of a component type (the registry lives in components.py)."""
    from civicloop.scoring.components import REGISTRY

    cls = REGISTRY.get(key)
    return cls.label if cls else key


class PeriodKind(models.TextChoices):
    WEEK = "week", "周"
    MONTH = "month", "月"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"


class ObjectGroup(models.TextChoices):
    """Which objects a scheme ranks (see `civicloop.scoring.objects.select_objects`)."""

    DEPARTMENTS = "departments", "部门（单位类型=部门）"
    STREETS = "streets", "街道/乡镇（区域层级=街道）"
    COMMUNITIES = "communities", "社区/村（区域层级=社区）"
    POINT_UNITS = "point_units", "点位责任单位（有启用点位的单位）"


class RedFlagRule(models.TextChoices):
    NONE = "none", "不评流动红旗"
    TOP = "top", "本期第一名"
    MOST_IMPROVED = "most_improved", "进步最大（名次提升最多）"


def default_grade_bands() -> list[dict]:
    # Ordered by min, highest first; the first band whose min the score reaches wins.
    return [
        {"grade": "A", "min": "90"},
        {"grade": "B", "min": "75"},
        {"grade": "C", "min": "60"},
        {"grade": "D", "min": "0"},
    ]


class Scheme(TimeStampedModel):
    name = models.CharField("方案名称", max_length=128)
    period_kind = models.CharField("考核周期", max_length=16, choices=PeriodKind.choices)
    object_group = models.CharField("考核对象", max_length=20, choices=ObjectGroup.choices)
    # Objects are taken from this area's subtree (units by their `area`); empty = all.
    area = models.ForeignKey(
        "orgs.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="考核范围（含下级）",
    )
    is_active = models.BooleanField("启用", default=True)
    base_score = models.DecimalField("基础分", max_digits=7, decimal_places=2, default=100)
    grade_bands = models.JSONField("等次划分", default=default_grade_bands)
    red_list_size = models.PositiveSmallIntegerField("红榜名额", default=3)
    black_list_size = models.PositiveSmallIntegerField("黑榜名额", default=3)
    red_flag_rule = models.CharField(
        "流动红旗规则", max_length=20, choices=RedFlagRule.choices, default=RedFlagRule.TOP
    )
    accountability_bottom_n = models.PositiveSmallIntegerField("问责：后N名", default=3)
    accountability_periods = models.PositiveSmallIntegerField("问责：连续K期", default=2)
    description = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ComponentMode(models.TextChoices):
    WEIGHTED = "weighted", "加权得分项"
    ADDITIVE = "additive", "加减分项"


class SchemeComponent(models.Model):
    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="components", verbose_name="考核方案"
    )
    key = models.CharField("指标类型", max_length=48)
    label = models.CharField("名称", max_length=64, blank=True)
    # Weighted components: relative weight (renormalised over the applicable ones).
    # Additive components: a multiplier of the points they return (normally 1).
    weight = models.DecimalField("权重", max_digits=7, decimal_places=3, default=Decimal("1"))
    params = models.JSONField("参数", default=dict, blank=True)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["scheme", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "key", "label"], name="scheme_component_uq"),
            models.CheckConstraint(name="scheme_component_weight_gte0", condition=Q(weight__gte=0)),
        ]

    def __str__(self) -> str:
        return self.label or component_label(self.key)


class AssessedObject(models.Model):
    """A thing that is ranked: exactly one of a unit or an area (one row per target)."""

    unit = models.OneToOneField(
        "orgs.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessed_object",
        verbose_name="单位",
    )
    area = models.OneToOneField(
        "orgs.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessed_object",
        verbose_name="区域",
    )

    class Meta:
        verbose_name = "考核对象"
        verbose_name_plural = "考核对象"
        constraints = [
            models.CheckConstraint(
                name="assessed_object_one_target",
                condition=Q(unit__isnull=False, area__isnull=True)
                | Q(unit__isnull=True, area__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return str(self.unit or self.area)

    @property
    def target(self):
        return self.unit or self.area

    @property
    def name(self) -> str:
        return self.target.name


class PeriodStatus(models.TextChoices):
    DRAFT = "draft", "待计算"
    COMPUTED = "computed", "已计算待发布"
    PUBLISHED = "published", "已发布"


class Period(TimeStampedModel):
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="periods", verbose_name="考核方案"
    )
    label = models.CharField("周期名称", max_length=64)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期（含）")
    status = models.CharField(
        "状态", max_length=16, choices=PeriodStatus.choices, default=PeriodStatus.DRAFT
    )
    version = models.PositiveIntegerField("版本", default=1)
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    # Fingerprint of the computed numbers (sha256 of the canonical result), so a page can
    # show that a recomputation gave the same result.
    result_hash = models.CharField("结果指纹", max_length=64, blank=True)
    # Problems overdue at the end of the period ("appear in the bulletin"), frozen into the
    # snapshot; the repeated-overdue deduction compares consecutive snapshots.
    overdue_problems = models.JSONField("期末超期问题", default=list, blank=True)
    # Set when a published period is reopened for a correction; becomes the new
    # snapshot's reason.
    correction_reason = models.TextField("更正原因", blank=True)
    published_at = models.DateTimeField("最近发布时间", null=True, blank=True)

    class Meta:
        verbose_name = "考核周期"
        verbose_name_plural = "考核周期"
        ordering = ["scheme", "-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "start_date"], name="period_scheme_start_uq"),
            models.CheckConstraint(
                name="period_dates_ordered", condition=Q(end_date__gte=models.F("start_date"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} · {self.label}"


class ComputationStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"


class Computation(models.Model):
    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="computations", verbose_name="考核周期"
    )
    status = models.CharField(
        "状态", max_length=16, choices=ComputationStatus.choices, default=ComputationStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("进度(%)", default=0)
    message = models.CharField("当前步骤", max_length=255, blank=True)
    error = models.TextField("错误", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发起人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    object_count = models.PositiveIntegerField("对象数", default=0)
    duration_ms = models.PositiveIntegerField("耗时(毫秒)", null=True, blank=True)

    class Meta:
        verbose_name = "计算任务"
        verbose_name_plural = "计算任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["period", "status"], name="computation_period_status")]

    def __str__(self) -> str:
        return f"{self.period_id} {self.status} {self.progress}%"


class ObjectScore(models.Model):
    """The computed score of one object in one period (replaced by each recomputation)."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="scores", verbose_name="考核周期"
    )
    obj = models.ForeignKey(
        AssessedObject, on_delete=models.PROTECT, related_name="scores", verbose_name="考核对象"
    )
    # Null when no weighted component applies (no data at all): not ranked.
    weighted_score = models.DecimalField(
        "加权得分", max_digits=9, decimal_places=2, null=True, blank=True
    )
    adjustment = models.DecimalField("加减分", max_digits=9, decimal_places=2, default=0)
    score = models.DecimalField("总分", max_digits=9, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField("名次", null=True, blank=True)
    grade = models.CharField("等次", max_length=8, blank=True)
    previous_rank = models.PositiveIntegerField("上期名次", null=True, blank=True)
    previous_score = models.DecimalField(
        "上期总分", max_digits=9, decimal_places=2, null=True, blank=True
    )
    # Positive = moved up (previous_rank − rank); score_delta = score − previous_score.
    rank_delta = models.IntegerField("名次变化", null=True, blank=True)
    score_delta = models.DecimalField(
        "分数变化", max_digits=9, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = "考核得分"
        verbose_name_plural = "考核得分"
        ordering = ["period", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "obj"], name="object_score_period_obj_uq")
        ]

    def __str__(self) -> str:
        return f"{self.period_id}:{self.obj_id} {self.score}"


class ComponentScore(models.Model):
    """One component of one object's score: raw value, points, weight, detail."""

    object_score = models.ForeignKey(
        ObjectScore, on_delete=models.CASCADE, related_name="components", verbose_name="考核得分"
    )
    component = models.ForeignKey(
        SchemeComponent, on_delete=models.CASCADE, related_name="+", verbose_name="考核指标"
    )
    key = models.CharField("指标类型", max_length=48)
    mode = models.CharField("计分方式", max_length=16, choices=ComponentMode.choices)
    applicable = models.BooleanField("适用", default=True)
    # Weighted: points on 0–100; additive: signed points added to the score.
    points = models.DecimalField("得分", max_digits=9, decimal_places=2, null=True, blank=True)
    # Weighted only: the weight share actually used after renormalisation (0–1).
    effective_weight = models.DecimalField(
        "实际权重", max_digits=7, decimal_places=6, null=True, blank=True
    )
    # Weighted: points × effective_weight × base/100; additive: points × weight.
    contribution = models.DecimalField(
        "计入总分", max_digits=9, decimal_places=2, null=True, blank=True
    )
    detail = models.JSONField("明细", default=dict, blank=True)

    class Meta:
        verbose_name = "指标得分"
        verbose_name_plural = "指标得分"
        ordering = ["object_score", "component__sort_order", "component_id"]
        constraints = [
            models.UniqueConstraint(fields=["object_score", "component"], name="component_score_uq")
        ]

    def __str__(self) -> str:
        return f"{self.object_score_id}:{self.key} {self.points}"


def adjustment_upload_to(instance, filename: str) -> str:
    return f"scoring/adjustments/{instance.period_id}/{filename}"


class ManualAdjustment(models.Model):
    """A manual bonus (+) or deduction (−) for an object in a period, with evidence."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="adjustments", verbose_name="考核周期"
    )
    obj = models.ForeignKey(
        AssessedObject,
        on_delete=models.PROTECT,
        related_name="adjustments",
        verbose_name="考核对象",
    )
    points = models.DecimalField("加减分", max_digits=7, decimal_places=2)
    reason = models.TextField("事由")
    evidence = models.FileField("佐证材料", upload_to=adjustment_upload_to, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="录入人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    # Withdrawn entries are kept (audit) but no longer count.
    is_void = models.BooleanField("已撤销", default=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="撤销人",
    )
    void_reason = models.TextField("撤销原因", blank=True)

    class Meta:
        verbose_name = "手工加减分"
        verbose_name_plural = "手工加减分"
        ordering = ["period", "obj", "id"]
        indexes = [models.Index(fields=["period", "is_void"], name="adjustment_period_void")]
        constraints = [
            models.CheckConstraint(name="adjustment_nonzero", condition=~Q(points=0)),
        ]

    def __str__(self) -> str:
        return f"{self.obj} {self.points:+} {self.reason[:20]}"


class PublishedSnapshot(models.Model):
    """A frozen, numbered version of a period's result. Never updated, never deleted.

    `data` holds everything a bulletin needs (rows with breakdown, red/black list, red
    flag, accountability list, overdue problems, scheme settings as they were); the rows
    are also copied into `SnapshotRow` for ordered queries.
    """

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="snapshots", verbose_name="考核周期"
    )
    version = models.PositiveIntegerField("版本号")
    reason = models.TextField("更正原因", blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="发布人",
    )
    published_at = models.DateTimeField("发布时间")
    data = models.JSONField("冻结数据")
    result_hash = models.CharField("结果指纹", max_length=64)

    class Meta:
        verbose_name = "发布版本"
        verbose_name_plural = "发布版本"
        ordering = ["period", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["period", "version"], name="snapshot_period_version_uq")
        ]

    def __str__(self) -> str:
        return f"{self.period} v{self.version}"


class SnapshotRow(models.Model):
    """One object's frozen line in a snapshot (names copied, not joined)."""

    snapshot = models.ForeignKey(
        PublishedSnapshot, on_delete=models.PROTECT, related_name="rows", verbose_name="发布版本"
    )
    obj = models.ForeignKey(
        AssessedObject, on_delete=models.PROTECT, related_name="+", verbose_name="考核对象"
    )
    name = models.CharField("对象名称", max_length=128)
    rank = models.PositiveIntegerField("名次", null=True, blank=True)
    score = models.DecimalField("总分", max_digits=9, decimal_places=2, null=True, blank=True)
    weighted_score = models.DecimalField(
        "加权得分", max_digits=9, decimal_places=2, null=True, blank=True
    )
    adjustment = models.DecimalField("加减分", max_digits=9, decimal_places=2, default=0)
    grade = models.CharField("等次", max_length=8, blank=True)
    previous_rank = models.PositiveIntegerField("上期名次", null=True, blank=True)
    rank_delta = models.IntegerField("名次变化", null=True, blank=True)
    score_delta = models.DecimalField(
        "分数变化", max_digits=9, decimal_places=2, null=True, blank=True
    )
    on_red_list = models.BooleanField("红榜", default=False)
    on_black_list = models.BooleanField("黑榜", default=False)
    red_flag = models.BooleanField("流动红旗", default=False)
    accountability = models.BooleanField("约谈问责", default=False)
    # Bottom N by the accountability rule's N (drives the K-consecutive check).
    in_accountability_bottom = models.BooleanField("后N名", default=False)
    breakdown = models.JSONField("指标明细", default=list)
    position = models.PositiveIntegerField("排序")

    class Meta:
        verbose_name = "发布排名行"
        verbose_name_plural = "发布排名行"
        ordering = ["snapshot", "position"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "obj"], name="snapshot_row_obj_uq")
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.rank} {self.name}"
