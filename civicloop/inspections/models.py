"""Inspection rounds, samples, inspections, item results and scores (DESIGN.md §9).

- `Round` (检查轮次): kind, period, scope (areas as subtrees, point types), quotas, seed,
  status draft → published (sample frozen) → in_progress → closed.
- `RoundQuota`: how many points to draw for a point type and/or an area (optionally "for
  each area of a level inside it", e.g. 农贸市场 × each district → 2).
- `RoundTeam`: a 督查组 with its inspectors; each `SamplePoint` is assigned to one team.
- `SamplePoint`: one drawn point, frozen once the round is published.
- `Inspection`: one per sample point (created when the inspector starts), draft → submitted;
  on submit it stores its totals (earned, max, rate, passed) and snapshots the point's
  area, responsible unit and type, so every roll-up is a single GROUP BY.
- `ItemResult`: one per applicable check item, with a snapshot of the item as it was
  (text, max score, judge mode, critical flag, category, indicator) and the problem the
  failure opened (or reopened / linked to, for 回头看).

No side effects here: every write is in `civicloop.inspections.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from civicloop.core.models import TimeStampedModel
from civicloop.orgs.models import AreaLevel
from civicloop.standards.models import JudgeMode


class RoundKind(models.TextChoices):
    WEEKLY_CHECK = "weekly_check", "周排查"
    MONTHLY_DRILL = "monthly_drill", "月拉练"
    QUARTERLY_ASSESSMENT = "quarterly_assessment", "季考核"
    MOCK_EVALUATION = "mock_evaluation", "模拟测评"
    SPECIAL = "special", "专项督查"
    UNANNOUNCED = "unannounced", "暗访"


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    IN_PROGRESS = "in_progress", "检查中"
    CLOSED = "closed", "已结束"


class Round(TimeStampedModel):
    kind = models.CharField("轮次类型", max_length=24, choices=RoundKind.choices)
    title = models.CharField("标题", max_length=200)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    index_system = models.ForeignKey(
        "standards.IndexSystem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rounds",
        verbose_name="测评体系",
    )
    # Scope: empty areas = the whole jurisdiction of the creator is NOT implied; the
    # services require at least one area. Empty point types = every active type.
    areas = models.ManyToManyField(
        "orgs.Area", related_name="inspection_rounds", verbose_name="检查区域（含下级）"
    )
    point_types = models.ManyToManyField(
        "orgs.PointType", blank=True, related_name="inspection_rounds", verbose_name="点位类型"
    )
    status = models.CharField(
        "状态", max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    seed = models.BigIntegerField("随机种子")
    include_revisits = models.BooleanField(
        "纳入回头看点位", default=False, help_text="上一轮同类检查以来有问题销号的点位"
    )
    # Used when a failed check item has no problem category of its own.
    default_category = models.ForeignKey(
        "standards.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="默认问题分类",
    )
    description = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="created_rounds",
        verbose_name="创建人",
    )
    drawn_at = models.DateTimeField("抽样时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    # Bumped by every status change; status changes are compare-and-set on (status, version).
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        verbose_name = "检查轮次"
        verbose_name_plural = "检查轮次"
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                name="round_period_ordered", condition=Q(end_date__gte=models.F("start_date"))
            ),
        ]
        indexes = [models.Index(fields=["kind", "start_date"], name="round_kind_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_frozen(self) -> bool:
        return self.status != RoundStatus.DRAFT


class RoundQuota(models.Model):
    """Draw `count` points of `point_type` (any type in scope when empty) inside `area`
    (the whole scope when empty). With `per_level`, the count applies to EACH area of that
    level inside `area`/the scope (e.g. 农贸市场, per_level=district, count=2)."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="quotas", verbose_name="检查轮次"
    )
    point_type = models.ForeignKey(
        "orgs.PointType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="点位类型",
    )
    area = models.ForeignKey(
        "orgs.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="区域",
    )
    per_level = models.CharField(
        "按层级分别抽取", max_length=16, choices=AreaLevel.choices, blank=True
    )
    count = models.PositiveIntegerField("抽取数量")

    class Meta:
        verbose_name = "抽样配额"
        verbose_name_plural = "抽样配额"
        ordering = ["round", "id"]
        constraints = [
            models.CheckConstraint(name="round_quota_positive", condition=Q(count__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.point_type or '全部类型'} × {self.area or '全部区域'} → {self.count}"


class RoundTeam(models.Model):
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="teams", verbose_name="检查轮次"
    )
    name = models.CharField("组名", max_length=64)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="组长",
    )
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="inspection_teams", verbose_name="组员"
    )
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        verbose_name = "督查组"
        verbose_name_plural = "督查组"
        ordering = ["round", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="round_team_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class SampleReason(models.TextChoices):
    QUOTA = "quota", "随机抽取"
    REVISIT = "revisit", "回头看"


class SamplePoint(models.Model):
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="samples", verbose_name="检查轮次"
    )
    point = models.ForeignKey(
        "orgs.Point", on_delete=models.PROTECT, related_name="samples", verbose_name="点位"
    )
    team = models.ForeignKey(
        RoundTeam,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="samples",
        verbose_name="督查组",
    )
    quota = models.ForeignKey(
        RoundQuota,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="samples",
        verbose_name="配额",
    )
    reason = models.CharField("抽取原因", max_length=16, choices=SampleReason.choices)
    # Also true for a randomly drawn point that is due for 回头看.
    is_revisit = models.BooleanField("回头看", default=False)
    # Draw order (0-based), so the sample lists the way it was drawn.
    position = models.PositiveIntegerField("抽取序号")

    class Meta:
        verbose_name = "抽样点位"
        verbose_name_plural = "抽样点位"
        ordering = ["round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "point"], name="sample_point_unique"),
        ]
        indexes = [models.Index(fields=["round", "team"], name="sample_round_team")]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.point_id}"


class InspectionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"


class Inspection(models.Model):
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="inspections", verbose_name="检查轮次"
    )
    sample = models.OneToOneField(
        SamplePoint, on_delete=models.CASCADE, related_name="inspection", verbose_name="抽样点位"
    )
    point = models.ForeignKey(
        "orgs.Point", on_delete=models.PROTECT, related_name="inspections", verbose_name="点位"
    )
    # Snapshots of the point when the inspection started: roll-ups group by these.
    point_type = models.ForeignKey(
        "orgs.PointType", on_delete=models.PROTECT, related_name="+", verbose_name="点位类型"
    )
    area = models.ForeignKey(
        "orgs.Area", on_delete=models.PROTECT, related_name="+", verbose_name="所属区域"
    )
    area_path = models.CharField("区域路径", max_length=255)
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="责任单位"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name="检查人",
    )
    status = models.CharField(
        "状态", max_length=16, choices=InspectionStatus.choices, default=InspectionStatus.DRAFT
    )
    started_at = models.DateTimeField("开始时间")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    # Where and when the phone said it was (WGS-84), recorded with each save.
    lng = models.FloatField("经度(WGS-84)", null=True, blank=True)
    lat = models.FloatField("纬度(WGS-84)", null=True, blank=True)
    located_at = models.DateTimeField("定位时间", null=True, blank=True)
    note = models.TextField("检查说明", blank=True)
    # Totals, stored on submit.
    earned = models.DecimalField("得分", max_digits=9, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(
        "适用满分", max_digits=9, decimal_places=2, null=True, blank=True
    )
    rate = models.DecimalField("得分率", max_digits=7, decimal_places=6, null=True, blank=True)
    passed = models.BooleanField("合格", null=True, blank=True)
    failed_count = models.PositiveIntegerField("不达标项数", default=0)
    critical_failed = models.BooleanField("关键项不达标", default=False)
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "点位检查"
        verbose_name_plural = "点位检查"
        ordering = ["round", "id"]
        constraints = [
            models.CheckConstraint(
                name="inspection_lng_lat_together",
                condition=Q(lng__isnull=True, lat__isnull=True)
                | Q(lng__gte=-180, lng__lte=180, lat__gte=-90, lat__lte=90),
            ),
            models.CheckConstraint(
                name="inspection_submitted_has_totals",
                condition=Q(status="draft")
                | Q(submitted_at__isnull=False, max_score__isnull=False, passed__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["round", "status", "area_path"], name="insp_round_area"),
            models.Index(fields=["round", "status", "unit"], name="insp_round_unit"),
            models.Index(fields=["round", "status", "point_type"], name="insp_round_type"),
            models.Index(fields=["point", "submitted_at"], name="insp_point_submitted"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.point_id} {self.status}"


class ItemOutcome(models.TextChoices):
    PASS = "pass", "达标"
    FAIL = "fail", "不达标"
    NOT_APPLICABLE = "not_applicable", "不适用"


class ProblemLink(models.TextChoices):
    CREATED = "created", "新建问题"
    REOPENED = "reopened", "回头看反弹（重新派遣原问题）"
    LINKED = "linked", "关联未销号的原问题"


class ItemResult(models.Model):
    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="results", verbose_name="点位检查"
    )
    check_item = models.ForeignKey(
        "standards.CheckItem",
        on_delete=models.PROTECT,
        related_name="results",
        verbose_name="检查项",
    )
    # Snapshot of the check item when the result was first saved.
    indicator = models.ForeignKey(
        "standards.Indicator",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="测评标准",
    )
    category = models.ForeignKey(
        "standards.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="问题分类",
    )
    code = models.CharField("检查项编码", max_length=64)
    text = models.TextField("检查内容")
    judge_mode = models.CharField("判定方式", max_length=16, choices=JudgeMode.choices)
    item_max = models.DecimalField("满分", max_digits=6, decimal_places=2)
    deduction_per_count = models.DecimalField(
        "每处扣分", max_digits=6, decimal_places=2, null=True, blank=True
    )
    is_critical = models.BooleanField("关键项", default=False)
    # The answer.
    outcome = models.CharField("结果", max_length=16, choices=ItemOutcome.choices)
    deduction = models.DecimalField("扣分", max_digits=6, decimal_places=2, default=0)
    count = models.PositiveIntegerField("发现处数", null=True, blank=True)
    # item_max − deduction; null when not applicable (drops out of the maximum).
    earned = models.DecimalField("得分", max_digits=6, decimal_places=2, null=True, blank=True)
    note = models.TextField("说明", blank=True)
    photo = models.FileField("现场照片", max_length=255, blank=True)
    photo_thumbnail = models.FileField("缩略图", max_length=255, blank=True)
    photo_sha256 = models.CharField("照片SHA-256", max_length=64, blank=True)
    photo_taken_at = models.DateTimeField("拍摄时间", null=True, blank=True)
    photo_lng = models.FloatField("拍摄经度", null=True, blank=True)
    photo_lat = models.FloatField("拍摄纬度", null=True, blank=True)
    problem = models.ForeignKey(
        "problems.Problem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_results",
        verbose_name="问题",
    )
    problem_link = models.CharField(
        "问题关联方式", max_length=16, choices=ProblemLink.choices, blank=True
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "检查项结果"
        verbose_name_plural = "检查项结果"
        ordering = ["inspection", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "check_item"], name="item_result_unique"),
            models.CheckConstraint(
                name="item_result_deduction_range",
                condition=Q(deduction__gte=0, deduction__lte=models.F("item_max")),
            ),
            models.CheckConstraint(
                name="item_result_na_has_no_score",
                condition=Q(outcome="not_applicable", earned__isnull=True)
                | (~Q(outcome="not_applicable") & Q(earned__isnull=False)),
            ),
        ]
        indexes = [
            models.Index(fields=["check_item", "outcome"], name="result_item_outcome"),
            models.Index(fields=["indicator"], name="result_indicator"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}:{self.code} {self.outcome}"

    @property
    def is_failed(self) -> bool:
        return self.outcome == ItemOutcome.FAIL
