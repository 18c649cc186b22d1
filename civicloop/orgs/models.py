"""Who is responsible for what and where: units, areas, point types, points."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from civicloop.core.models import TimeStampedModel, TreeNode


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", "部门"
    TOWNSHIP = "township", "乡镇/街道"
    COMMUNITY = "community", "社区/村"
    ENTERPRISE = "enterprise", "企业/经营单位"
    OTHER = "other", "其他"


class Unit(TreeNode, TimeStampedModel):
    """A responsible unit (单位): department, township/street office, community, enterprise."""

    name = models.CharField("单位名称", max_length=128)
    short_name = models.CharField("简称", max_length=64, blank=True)
    code = models.CharField("单位编码", max_length=64, unique=True)
    kind = models.CharField("单位类型", max_length=20, choices=UnitKind.choices)
    area = models.ForeignKey(
        "orgs.Area",
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name="所属区域",
        help_text="单位所在的辖区：市直部门为全市，街道办为所在街道。",
    )
    contact_person = models.CharField("联系人", max_length=64, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    submission_needs_leader_approval = models.BooleanField(
        "整改反馈需单位负责人审核", default=False
    )
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name


class AreaLevel(models.TextChoices):
    CITY = "city", "市"
    DISTRICT = "district", "区/县"
    STREET = "street", "街道/乡镇"
    COMMUNITY = "community", "社区/村"
    GRID = "grid", "网格"


AREA_LEVEL_ORDER = [
    AreaLevel.CITY,
    AreaLevel.DISTRICT,
    AreaLevel.STREET,
    AreaLevel.COMMUNITY,
    AreaLevel.GRID,
]

grid_code_validator = RegexValidator(
    r"^\d{15}$", "网格编码应为15位数字（6位行政区划+3位街道+3位社区+3位网格）"
)


class Area(TreeNode, TimeStampedModel):
    """A territory: city → district → street → community → grid."""

    name = models.CharField("名称", max_length=128)
    code = models.CharField("区域编码", max_length=32, unique=True)
    level = models.CharField("层级", max_length=16, choices=AreaLevel.choices)
    # GeoJSON geometry (Polygon or MultiPolygon), WGS-84 lng/lat.
    boundary = models.JSONField("边界(GeoJSON)", null=True, blank=True)
    # Bounding box of the boundary, kept for a cheap indexed pre-filter before the exact
    # point-in-polygon test.
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        verbose_name = "区域"
        verbose_name_plural = "区域"
        ordering = ["path"]
        indexes = [models.Index(fields=["level", "min_lng", "max_lng"])]

    def __str__(self) -> str:
        return self.name


class ResponsibilityKind(models.TextChoices):
    LEADER = "leader", "包片领导"
    SUPPORTING_UNIT = "supporting_unit", "包保单位"


class AreaResponsibility(models.Model):
    """包片领导 or 包保单位 of an area."""

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="responsibilities", verbose_name="区域"
    )
    kind = models.CharField("类型", max_length=20, choices=ResponsibilityKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="area_responsibilities",
        verbose_name="领导账号",
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="area_responsibilities",
        verbose_name="包保单位",
    )
    person_name = models.CharField("姓名", max_length=64, blank=True)
    title = models.CharField("职务", max_length=64, blank=True)

    class Meta:
        verbose_name = "区域责任"
        verbose_name_plural = "区域责任"
        constraints = [
            models.CheckConstraint(
                name="responsibility_has_target",
                condition=(
                    Q(kind=ResponsibilityKind.SUPPORTING_UNIT, unit__isnull=False)
                    | Q(kind=ResponsibilityKind.LEADER)
                    & (Q(user__isnull=False) | ~Q(person_name=""))
                ),
            )
        ]

    def __str__(self) -> str:
        who = self.unit or self.user or self.person_name
        return f"{self.area} · {self.get_kind_display()} · {who}"


class PointType(TimeStampedModel):
    """点位类型, e.g. 农贸市场 with its lead department (行业牵头单位)."""

    code = models.CharField("类型编码", max_length=32, unique=True)
    name = models.CharField("类型名称", max_length=64, unique=True)
    group = models.CharField("分组", max_length=32, blank=True)
    lead_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_point_types",
        verbose_name="行业牵头单位",
    )
    description = models.TextField("说明", blank=True)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "点位类型"
        verbose_name_plural = "点位类型"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Point(TimeStampedModel):
    """点位: a place that is inspected (a market, a back street, a bank branch…)."""

    code = models.CharField("点位编码", max_length=64, unique=True)
    name = models.CharField("点位名称", max_length=128, db_index=True)
    point_type = models.ForeignKey(
        PointType, on_delete=models.PROTECT, related_name="points", verbose_name="点位类型"
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="points", verbose_name="所属区域"
    )
    address = models.CharField("地址", max_length=255, blank=True)
    # WGS-84. Input in GCJ-02 / BD-09 is converted by civicloop.core.geo before storing.
    lng = models.FloatField("经度(WGS-84)", null=True, blank=True)
    lat = models.FloatField("纬度(WGS-84)", null=True, blank=True)
    responsible_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="points", verbose_name="责任单位"
    )
    person_in_charge = models.CharField("责任人", max_length=64, blank=True)
    person_phone = models.CharField("责任人电话", max_length=32, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "点位"
        verbose_name_plural = "点位"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="point_lng_lat_together",
                condition=Q(lng__isnull=True, lat__isnull=True)
                | Q(lng__gte=-180, lng__lte=180, lat__gte=-90, lat__lte=90),
            )
        ]

    def __str__(self) -> str:
        return self.name
