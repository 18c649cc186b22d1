"""Problem categories (问题分类), evaluation index systems (测评体系) and check items."""

from django.db import models
from django.db.models import Q

from civicloop.core.models import TimeStampedModel, TreeNode


class CategoryKind(models.TextChoices):
    EVENT = "event", "事件"
    COMPONENT = "component", "部件"


class DeadlineUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", "工作时"
    WORKING_DAYS = "working_days", "工作日"
    CALENDAR_DAYS = "calendar_days", "自然日"


class Category(TimeStampedModel):
    """A two-level taxonomy: 大类 (parent is null) and 小类 with a deadline policy."""

    code = models.CharField("分类编码", max_length=32, unique=True)
    name = models.CharField("分类名称", max_length=64)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="大类",
    )
    kind = models.CharField("事部件", max_length=16, choices=CategoryKind.choices)
    deadline_amount = models.PositiveIntegerField("处置时限", default=3)
    deadline_unit = models.CharField(
        "时限单位",
        max_length=16,
        choices=DeadlineUnit.choices,
        default=DeadlineUnit.WORKING_DAYS,
    )
    closing_condition = models.TextField("结案条件", blank=True)
    default_unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="默认责任单位",
    )
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "问题分类"
        verbose_name_plural = "问题分类"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                name="category_deadline_positive", condition=Q(deadline_amount__gt=0)
            ),
        ]

    def __str__(self) -> str:
        if self.parent_id:
            return f"{self.parent.name} / {self.name}"
        return self.name

    @property
    def deadline_label(self) -> str:
        return f"{self.deadline_amount}{self.get_deadline_unit_display()}"


# --- Evaluation index systems (测评体系) -------------------------------------------------


class IndexSystemKind(models.TextChoices):
    CIVILISED_CITY = "civilised_city", "全国文明城市测评体系"
    SANITARY_CITY = "sanitary_city", "国家卫生城市标准"
    PROVINCIAL = "provincial", "省级测评体系"
    LOCAL = "local", "本地自定体系"


class IndexSystemStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ACTIVE = "active", "启用"
    ARCHIVED = "archived", "停用归档"


class IndexSystem(TimeStampedModel):
    """A versioned evaluation index system, e.g. 全国文明城市测评体系（地级市）2021版.

    A new version is started by copying an existing one (`based_on`), never by editing a
    version that inspections have already been scored against.
    """

    name = models.CharField("体系名称", max_length=128)
    code = models.CharField("体系编码", max_length=64, unique=True)
    kind = models.CharField("体系类型", max_length=20, choices=IndexSystemKind.choices)
    version = models.CharField("版本", max_length=32, help_text="如 2021版、2025年修订")
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=IndexSystemStatus.choices, default=IndexSystemStatus.DRAFT
    )
    total_score = models.DecimalField("总分", max_digits=8, decimal_places=2, null=True, blank=True)
    based_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name="复制自",
    )
    description = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "测评体系"
        verbose_name_plural = "测评体系"
        ordering = ["-year", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"


class IndicatorLevel(models.TextChoices):
    ITEM = "item", "测评项目"
    INDICATOR = "indicator", "指标"
    CONTENT = "content", "测评内容"
    STANDARD = "standard", "测评标准"


INDICATOR_LEVEL_ORDER = [
    IndicatorLevel.ITEM,
    IndicatorLevel.INDICATOR,
    IndicatorLevel.CONTENT,
    IndicatorLevel.STANDARD,
]


class Method(models.TextChoices):
    FIELD = "field", "实地考察"
    SURVEY = "survey", "问卷调查"
    ONLINE = "online", "网上申报"
    MATERIAL = "material", "材料审核"
    DATA = "data", "数据监测"


class Indicator(TreeNode, TimeStampedModel):
    """A node of an index system: 测评项目 → 指标 → 测评内容 → 测评标准.

    Offices' tables sometimes skip the 指标 level, so a node's parent is simply the nearest
    upper level present. `path` is scoped to the system (ids are global, so prefixes never
    collide across systems).
    """

    system = models.ForeignKey(
        IndexSystem, on_delete=models.CASCADE, related_name="indicators", verbose_name="测评体系"
    )
    level = models.CharField("层级", max_length=16, choices=IndicatorLevel.choices)
    code = models.CharField("编码", max_length=64)
    numbering = models.CharField(
        "原始序号", max_length=32, blank=True, help_text="表格中的序号，如 一、 1. （1） Ⅰ-1"
    )
    text = models.TextField("内容")
    score = models.DecimalField("分值", max_digits=8, decimal_places=2, null=True, blank=True)
    weight = models.DecimalField("权重", max_digits=8, decimal_places=4, null=True, blank=True)
    methods = models.JSONField("测评方法", default=list, blank=True)
    lead_unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_indicators",
        verbose_name="牵头单位",
    )
    cooperating_units = models.ManyToManyField(
        "orgs.Unit", blank=True, related_name="cooperating_indicators", verbose_name="配合单位"
    )
    principal_leader = models.CharField("主要领导", max_length=64, blank=True)
    deputy_leader = models.CharField("分管领导", max_length=64, blank=True)
    direct_leader = models.CharField("直接领导", max_length=64, blank=True)
    point_types = models.ManyToManyField(
        "orgs.PointType", blank=True, related_name="indicators", verbose_name="适用点位类型"
    )
    is_negative = models.BooleanField("负面清单", default=False)
    # jieba tokens of the text, space separated, for Chinese word search.
    search_tokens = models.TextField("分词", blank=True, editable=False)
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        verbose_name = "测评指标"
        verbose_name_plural = "测评指标"
        ordering = ["system", "path"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="indicator_code_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"


# --- Check items per point type ---------------------------------------------------------


class JudgeMode(models.TextChoices):
    PASS_FAIL = "pass_fail", "达标/不达标"
    DEDUCTION = "deduction", "扣分（上限）"
    COUNT = "count", "计数扣分"


class CheckItem(TimeStampedModel):
    """What an inspector checks at a point of a type, and what a failure opens."""

    point_type = models.ForeignKey(
        "orgs.PointType",
        on_delete=models.CASCADE,
        related_name="check_items",
        verbose_name="点位类型",
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="check_items",
        verbose_name="对应测评标准",
    )
    code = models.CharField("检查项编码", max_length=64)
    text = models.TextField("检查内容")
    judge_mode = models.CharField(
        "判定方式", max_length=16, choices=JudgeMode.choices, default=JudgeMode.PASS_FAIL
    )
    max_score = models.DecimalField("满分", max_digits=6, decimal_places=2, default=1)
    deduction_per_count = models.DecimalField(
        "每处扣分",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="计数扣分时每发现一处扣的分数",
    )
    is_critical = models.BooleanField("关键项（不达标则点位不合格）", default=False)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="check_items",
        verbose_name="问题分类",
    )
    guidance = models.TextField("检查指引", blank=True)
    example_photo = models.ImageField("示例照片", upload_to="check_items/", blank=True)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "检查项"
        verbose_name_plural = "检查项"
        ordering = ["point_type", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["point_type", "code"], name="check_item_code_per_point_type"
            ),
            models.CheckConstraint(
                name="check_item_max_score_positive", condition=Q(max_score__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:30]}"
