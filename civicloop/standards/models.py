"""Problem categories (问题分类). Index systems and check items come with issue 4."""

from django.db import models
from django.db.models import Q

from civicloop.core.models import TimeStampedModel


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
