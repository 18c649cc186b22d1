"""Bulletin documents (通报) and the public exposure board (曝光台).

- `Bulletin`: one generation job for one published snapshot: the settings it was asked
  with (文号, title, issuer, typical problems frozen at request time), status/progress/
  error, and the generated files (DOCX, XLSX, PDF when LibreOffice is available) kept in
  the default storage. The numbers always come from `scoring.PublishedSnapshot.data`,
  never from live tables.
- `ExposureItem`: a problem published to the public exposure board with its masked text,
  street-level location and the before/after photos chosen. Unpublishing never deletes the
  row: it records who, when and why (plus an audit event).

No side effects here: every write is in `civicloop.bulletins.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    SUCCEEDED = "succeeded", "已生成"
    FAILED = "failed", "失败"


class PdfStatus(models.TextChoices):
    PENDING = "pending", "待生成"
    READY = "ready", "已生成"
    # Not an error: the machine has no LibreOffice (soffice) to convert the DOCX.
    UNAVAILABLE = "unavailable", "本机不支持生成PDF"
    FAILED = "failed", "转换失败"


def bulletin_upload_to(instance, filename: str) -> str:
    return f"bulletins/{instance.snapshot_id}/{instance.pk or 'new'}/{filename}"


class Bulletin(models.Model):
    # CASCADE: a bulletin is derived from its snapshot; snapshots are never deleted except
    # by the demo reset (which must not be blocked by the documents made from them).
    snapshot = models.ForeignKey(
        "scoring.PublishedSnapshot",
        on_delete=models.CASCADE,
        related_name="bulletins",
        verbose_name="发布版本",
    )
    issuer = models.CharField("发文机关", max_length=128)
    doc_number = models.CharField("文号", max_length=64)
    title = models.CharField("标题", max_length=200)
    include_photos = models.BooleanField("附典型问题照片", default=True)
    # Typical problems frozen when the bulletin is requested (problem number, title,
    # unit, description, evidence ids of the before/after photos).
    typical = models.JSONField("典型问题", default=list, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField("进度(%)", default=0)
    message = models.CharField("当前步骤", max_length=255, blank=True)
    error = models.TextField("错误", blank=True)
    docx = models.FileField("Word文件", upload_to=bulletin_upload_to, max_length=255, blank=True)
    xlsx = models.FileField("Excel文件", upload_to=bulletin_upload_to, max_length=255, blank=True)
    pdf = models.FileField("PDF文件", upload_to=bulletin_upload_to, max_length=255, blank=True)
    pdf_status = models.CharField(
        "PDF状态", max_length=16, choices=PdfStatus.choices, default=PdfStatus.PENDING
    )
    photo_count = models.PositiveIntegerField("照片数", default=0)
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
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("耗时(毫秒)", null=True, blank=True)

    class Meta:
        verbose_name = "通报"
        verbose_name_plural = "通报"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["snapshot", "status"], name="bulletin_snapshot_status")]

    def __str__(self) -> str:
        return f"{self.doc_number} {self.title}"


class ExposureItem(models.Model):
    # CASCADE: the ledger voids problems instead of deleting them; only the demo reset
    # deletes problems, and their exposure rows go with them.
    problem = models.ForeignKey(
        "problems.Problem", on_delete=models.CASCADE, related_name="+", verbose_name="问题"
    )
    # Masked copies: the public page never reads the problem's own text.
    title = models.CharField("曝光标题", max_length=200)
    description = models.TextField("问题描述（已脱敏）")
    location = models.CharField("位置（到街道）", max_length=200, blank=True)
    category = models.CharField("问题分类", max_length=128, blank=True)
    unit_name = models.CharField("责任单位", max_length=128, blank=True)
    problem_status = models.CharField("整改情况", max_length=32, blank=True)
    before_evidence = models.ForeignKey(
        "problems.Evidence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="整改前照片",
    )
    after_evidence = models.ForeignKey(
        "problems.Evidence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="整改后照片",
    )
    is_published = models.BooleanField("公开中", default=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="发布人",
    )
    published_at = models.DateTimeField("发布时间")
    unpublished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="撤下人",
    )
    unpublished_at = models.DateTimeField("撤下时间", null=True, blank=True)
    unpublish_reason = models.TextField("撤下原因", blank=True)

    class Meta:
        verbose_name = "曝光条目"
        verbose_name_plural = "曝光条目"
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["is_published", "-published_at"], name="exposure_public_idx")
        ]
        constraints = [
            # One live item per problem; unpublished rows stay as history.
            models.UniqueConstraint(
                fields=["problem"], condition=Q(is_published=True), name="exposure_one_live"
            )
        ]

    def __str__(self) -> str:
        return self.title
