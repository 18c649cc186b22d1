"""Serializers of the bulletins API: bulletin jobs and exposure items."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from civicloop.bulletins.models import Bulletin, ExposureItem, JobStatus, PdfStatus


class BulletinSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=JobStatus.choices, read_only=True)
    pdf_status = serializers.ChoiceField(choices=PdfStatus.choices, read_only=True)
    period = serializers.IntegerField(source="snapshot.period_id", read_only=True)
    version = serializers.IntegerField(source="snapshot.version", read_only=True)
    downloads = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "snapshot",
            "period",
            "version",
            "issuer",
            "doc_number",
            "title",
            "include_photos",
            "status",
            "progress",
            "message",
            "error",
            "pdf_status",
            "photo_count",
            "downloads",
            "created_at",
            "started_at",
            "finished_at",
            "duration_ms",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.DictField(
            child=serializers.CharField(),
            help_text="kind (docx, xlsx, pdf) → download URL, for the files that exist.",
        )
    )
    def get_downloads(self, b: Bulletin) -> dict:
        request = self.context.get("request")
        return {
            kind: reverse("bulletin-download", args=[b.pk, kind], request=request)
            for kind in ("docx", "xlsx", "pdf")
            if getattr(b, kind)
        }


class BulletinCreateSerializer(serializers.Serializer):
    snapshot = serializers.IntegerField(help_text="Published snapshot (ranking) id.")
    issuer = serializers.CharField(required=False, allow_blank=True, default="")
    doc_number = serializers.CharField(required=False, allow_blank=True, default="")
    title = serializers.CharField(required=False, allow_blank=True, default="")
    include_photos = serializers.BooleanField(required=False, default=True)
    typical_problem_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Typical problems with photos; omitted → chosen automatically.",
    )


class ExposureItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExposureItem
        fields = [
            "id",
            "problem",
            "title",
            "description",
            "location",
            "category",
            "unit_name",
            "problem_status",
            "before_evidence",
            "after_evidence",
            "is_published",
            "published_at",
            "unpublished_at",
            "unpublish_reason",
        ]
        read_only_fields = fields


class PublicExposureSerializer(serializers.ModelSerializer):
    """What the public sees: masked text and photo URLs only (no problem id, no people)."""

    before_photo = serializers.SerializerMethodField()
    after_photo = serializers.SerializerMethodField()

    class Meta:
        model = ExposureItem
        fields = [
            "id",
            "title",
            "description",
            "location",
            "category",
            "unit_name",
            "problem_status",
            "published_at",
            "before_photo",
            "after_photo",
        ]
        read_only_fields = fields

    def _photo(self, item, which: str) -> str | None:
        if not getattr(item, f"{which}_evidence_id"):
            return None
        return reverse(
            "exposure_public:photo", args=[item.pk, which], request=self.context.get("request")
        )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_before_photo(self, item) -> str | None:
        return self._photo(item, "before")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_after_photo(self, item) -> str | None:
        return self._photo(item, "after")


class ExposurePublishSerializer(serializers.Serializer):
    problem = serializers.IntegerField()
    title = serializers.CharField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    before_evidence = serializers.IntegerField(required=False, allow_null=True, default=None)
    after_evidence = serializers.IntegerField(required=False, allow_null=True, default=None)


class UnpublishSerializer(serializers.Serializer):
    reason = serializers.CharField()
