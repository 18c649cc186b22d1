"""The problem ledger (问题台账): problems, their append-only history, evidence, requests.

Status changes only in `civicloop.problems.services`; the legal moves are the pure table in
`civicloop.problems.workflow`. Counters and timestamps on `Problem` are snapshots that the
services keep equal to what the events say (the stateful test checks it); KPIs read events.

`RoutingRule` lives here rather than in `orgs` so that orgs never depends on standards
(dependencies point core ← accounts/orgs ← standards ← problems, DESIGN.md §3).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Source(models.TextChoices):
    INSPECTION = "inspection", "督查检查"
    PATROL = "patrol", "网格巡查"
    CITIZEN = "citizen", "群众反映"
    SUPERIOR_NOTICE = "superior_notice", "上级通报"
    LEADER_INSTRUCTION = "leader_instruction", "领导批示"
    MEDIA = "media", "媒体曝光"
    HOTLINE_12345 = "hotline_12345", "12345/数字城管转办"
    SELF_CHECK = "self_check", "单位自查"


class Severity(models.TextChoices):
    IMMEDIATE = "immediate", "立行立改"
    SHORT = "short", "短期整改"
    LONG = "long", "长期整改"


class Status(models.TextChoices):
    PENDING_REVIEW = "pending_review", "待受理"
    REGISTERED = "registered", "待派遣"
    DISPATCHED = "dispatched", "待签收"
    RECTIFYING = "rectifying", "整改中"
    # Only for units with Unit.submission_needs_leader_approval: the unit leader checks
    # the rectification before it goes out for verification.
    LEADER_REVIEW = "leader_review", "待单位审核"
    SUBMITTED = "submitted", "待核查"
    CLOSED = "closed", "已销号"
    PARKED = "parked", "挂账"
    REJECTED = "rejected", "不予受理"
    VOIDED = "voided", "已作废"


# States in which the responsible unit holds the problem and the deadline clock runs.
UNIT_OPEN_STATUSES = (Status.DISPATCHED, Status.RECTIFYING, Status.LEADER_REVIEW)
# States that are not final (closed may still be reopened, but it is not "open").
OPEN_STATUSES = (
    Status.PENDING_REVIEW,
    Status.REGISTERED,
    Status.DISPATCHED,
    Status.RECTIFYING,
    Status.LEADER_REVIEW,
    Status.SUBMITTED,
    Status.PARKED,
)
FINAL_STATUSES = (Status.CLOSED, Status.REJECTED, Status.VOIDED)


class Action(models.TextChoices):
    REPORT = "report", "上报"
    CREATE = "create", "登记"
    ACCEPT = "accept", "受理"
    REJECT = "reject", "不予受理"
    MERGE = "merge", "合并重复"
    DISPATCH = "dispatch", "派遣"
    SIGN = "sign", "签收"
    REQUEST_RETURN = "request_return", "申请退回"
    APPROVE_RETURN = "approve_return", "同意退回"
    DENY_RETURN = "deny_return", "驳回退回申请"
    REQUEST_EXTENSION = "request_extension", "申请延期"
    APPROVE_EXTENSION = "approve_extension", "同意延期"
    DENY_EXTENSION = "deny_extension", "驳回延期申请"
    PARK = "park", "挂账"
    UNPARK = "unpark", "解除挂账"
    SUBMIT = "submit", "提交整改"
    LEADER_APPROVE = "leader_approve", "单位审核通过"
    LEADER_DENY = "leader_deny", "单位审核退回"
    VERIFY_PASS = "verify_pass", "核查通过（销号）"
    VERIFY_FAIL = "verify_fail", "核查不通过（返工）"
    REOPEN = "reopen", "回头看反弹"
    URGE = "urge", "催办"
    ESCALATE = "escalate", "超期自动升级"
    VOID = "void", "作废"


class EscalationLevel(models.IntegerChoices):
    NONE = 0, "无"
    URGED = 1, "催办"
    SUPERVISED = 2, "督办"
    FLAGGED = 3, "挂牌督办"


class Problem(models.Model):
    number = models.CharField("问题编号", max_length=20, unique=True)
    source = models.CharField("问题来源", max_length=24, choices=Source.choices)
    # No index of its own on category, area, responsible_unit, reporter: the composite
    # indexes in Meta lead with them (an extra index is written on every row update;
    # 1M rows, a day of overdue sweep: -18 % with the six such indexes dropped).
    category = models.ForeignKey(
        "standards.Category",
        on_delete=models.PROTECT,
        related_name="problems",
        verbose_name="问题分类",
        db_index=False,
    )
    title = models.CharField("标题", max_length=200, blank=True)
    description = models.TextField("问题描述")
    point = models.ForeignKey(
        "orgs.Point",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name="点位",
    )
    # WGS-84; GCJ-02/BD-09 input is converted by civicloop.core.geo before it gets here.
    lng = models.FloatField("经度(WGS-84)", null=True, blank=True)
    lat = models.FloatField("纬度(WGS-84)", null=True, blank=True)
    area = models.ForeignKey(
        "orgs.Area",
        on_delete=models.PROTECT,
        related_name="problems",
        verbose_name="所属区域",
        db_index=False,
    )
    address = models.CharField("地址", max_length=255, blank=True)
    severity = models.CharField(
        "整改类型", max_length=16, choices=Severity.choices, default=Severity.SHORT
    )
    status = models.CharField("状态", max_length=20, choices=Status.choices)
    responsible_unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name="责任单位",
        db_index=False,
    )
    due_at = models.DateTimeField("整改时限", null=True, blank=True)
    # dispatched_at + 80 % of the allowed time: stored so the traffic light and the
    # "即将超期" count are plain indexed comparisons (no date arithmetic in SQL).
    warn_at = models.DateTimeField("预警时间", null=True, blank=True, editable=False)
    dispatched_at = models.DateTimeField("派遣时间", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    submitted_at = models.DateTimeField("提交整改时间", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    parked_at = models.DateTimeField("挂账时间", null=True, blank=True)
    park_review_on = models.DateField("挂账复核日期", null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        "督办级别", choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    is_overdue = models.BooleanField("已超期", default=False)
    rework_count = models.PositiveIntegerField("返工次数", default=0)
    return_count = models.PositiveIntegerField("退回次数", default=0)
    recurrence_count = models.PositiveIntegerField("反弹次数", default=0)
    extension_count = models.PositiveIntegerField("延期次数", default=0)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_problems",
        verbose_name="反映人",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="登记人",
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name="合并至",
    )
    # Free reference to where the problem came from (e.g. "inspection item 123").
    source_ref = models.CharField("来源编号", max_length=128, blank=True)
    # Idempotency key for programmatic creators (inspections): unique when not empty.
    source_key = models.CharField("来源唯一键", max_length=128, blank=True)
    # Bumped by every transition; the compare-and-set uses it with the status.
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "问题"
        verbose_name_plural = "问题台账"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"],
                condition=~Q(source_key=""),
                name="problem_source_key_unique",
            ),
            models.CheckConstraint(
                name="problem_lng_lat_together",
                condition=Q(lng__isnull=True, lat__isnull=True)
                | Q(lng__gte=-180, lng__lte=180, lat__gte=-90, lat__lte=90),
            ),
            models.CheckConstraint(
                name="problem_escalation_range", condition=Q(escalation_level__lte=3)
            ),
        ]
        indexes = [
            # Ledger filters and workbench counts at 1M rows: each leads with the column the
            # scope or filter pins down, then the usual sort/range column.
            models.Index(fields=["status", "due_at"], name="problem_status_due"),
            # The ledger's default view, one status newest first: the page is an index
            # range walk instead of a backwards scan of problem_created filtering on status.
            # The scope columns ride along (PostgreSQL INCLUDE; ignored on SQLite) so the
            # ledger's capped count in a user's scope is an index-only scan (1M rows,
            # rectifying: 4 ms instead of 11-28 ms visiting the heap for area_id).
            models.Index(
                fields=["status", "created_at", "id"],
                include=["area", "responsible_unit", "reporter"],
                name="problem_status_created",
            ),
            models.Index(fields=["responsible_unit", "status"], name="problem_unit_status"),
            models.Index(fields=["area", "status"], name="problem_area_status"),
            models.Index(fields=["category", "created_at"], name="problem_category_created"),
            models.Index(fields=["source", "created_at"], name="problem_source_created"),
            models.Index(fields=["created_at", "id"], name="problem_created"),
            models.Index(fields=["due_at"], name="problem_due"),
            # The overdue sweep (services.problem_sweep_overdue), both partial and small:
            # flagging reads only unflagged open problems by deadline; escalation reads
            # only flagged ones by level (1M steady state: ~1 ms each instead of ~0.2 s
            # heap walks over every overdue row, three times per sweep).
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=UNIT_OPEN_STATUSES, is_overdue=False),
                name="problem_due_unflagged",
            ),
            models.Index(
                fields=["escalation_level", "due_at"],
                condition=Q(is_overdue=True),
                name="problem_overdue_escalation",
            ),
            models.Index(fields=["reporter", "created_at"], name="problem_reporter"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title or self.description[:20]}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ProblemEvent(models.Model):
    """One row per transition; never updated or deleted.

    `unit`, `due_at`, `duration_seconds` and `on_time` are facts known when the event is
    written, kept as columns so KPIs are plain GROUP BY queries over events:
    - unit: the responsible unit the event concerns (the new one, or the one it leaves);
    - due_at: the deadline in force after the event;
    - duration_seconds: sign → since dispatch (sign-for time); verify_pass → passing
      submission − dispatch (handling time);
    - on_time: verify_pass → passing submission at or before the deadline in force.
    """

    # problem and unit: indexed by pevent_problem_at and pevent_unit_action_at, which lead
    # with them (see Problem.category).
    problem = models.ForeignKey(
        Problem,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name="问题",
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    action = models.CharField("操作", max_length=24, choices=Action.choices)
    from_status = models.CharField("原状态", max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField("新状态", max_length=20, choices=Status.choices)
    at = models.DateTimeField("时间", default=timezone.now)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)
    unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="责任单位",
        db_index=False,
    )
    due_at = models.DateTimeField("时限", null=True, blank=True)
    duration_seconds = models.FloatField("用时(秒)", null=True, blank=True)
    on_time = models.BooleanField("按时", null=True, blank=True)

    class Meta:
        verbose_name = "问题流转记录"
        verbose_name_plural = "问题流转记录"
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["problem", "at", "id"], name="pevent_problem_at"),
            models.Index(fields=["action", "at"], name="pevent_action_at"),
            models.Index(fields=["unit", "action", "at"], name="pevent_unit_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action} {self.from_status}→{self.to_status}"


class EvidenceKind(models.TextChoices):
    BEFORE = "before", "整改前"
    AFTER = "after", "整改后"
    DOCUMENT = "document", "材料"


class Evidence(models.Model):
    """A photo or file. Images are re-encoded (metadata stripped); EXIF time/GPS kept here."""

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="evidence", verbose_name="问题"
    )
    # Null while staged (uploaded before the action that uses it, e.g. submit).
    event = models.ForeignKey(
        ProblemEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name="流转记录",
    )
    kind = models.CharField("类型", max_length=16, choices=EvidenceKind.choices)
    file = models.FileField("文件", max_length=255)
    thumbnail = models.FileField("缩略图", max_length=255, blank=True)
    original_name = models.CharField("原文件名", max_length=255, blank=True)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小(字节)")
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    width = models.PositiveIntegerField("宽", null=True, blank=True)
    height = models.PositiveIntegerField("高", null=True, blank=True)
    exif_taken_at = models.DateTimeField("拍摄时间", null=True, blank=True)
    exif_lng = models.FloatField("拍摄经度", null=True, blank=True)
    exif_lat = models.FloatField("拍摄纬度", null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="上传人",
    )
    at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["problem", "kind"], name="evidence_problem_kind")]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.kind} {self.original_name}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class RequestKind(models.TextChoices):
    RETURN = "return", "退回"
    EXTENSION = "extension", "延期"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已同意"
    DENIED = "denied", "已驳回"
    CANCELLED = "cancelled", "已撤销"


class ProblemRequest(models.Model):
    """A unit's request to return a problem (not ours) or to extend its deadline."""

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="requests", verbose_name="问题"
    )
    kind = models.CharField("类型", max_length=16, choices=RequestKind.choices)
    status = models.CharField(
        "审批状态", max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="申请单位",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="申请人",
    )
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    reason = models.TextField("申请理由")
    requested_due_at = models.DateTimeField("申请延至", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "退回/延期申请"
        verbose_name_plural = "退回/延期申请"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem", "kind"],
                condition=Q(status="pending"),
                name="problem_request_one_pending",
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="prequest_status_kind")]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.get_kind_display()} {self.get_status_display()}"


class ProblemCounter(models.Model):
    """The last number allocated per year (WT-YYYY-NNNNNN), bumped with F() + 1."""

    year = models.PositiveIntegerField("年份", primary_key=True)
    last = models.PositiveIntegerField("已用序号", default=0)

    class Meta:
        verbose_name = "问题编号计数器"
        verbose_name_plural = "问题编号计数器"

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class RoutingRule(models.Model):
    """An explicit routing rule: category × area subtree × point type → unit (DESIGN §8).

    Empty category/area/point type match anything; a rule on a 大类 matches its 小类.
    Lower priority wins; among equal priorities the deeper (more specific) area wins.
    """

    name = models.CharField("规则名称", max_length=128)
    category = models.ForeignKey(
        "standards.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name="问题分类",
    )
    area = models.ForeignKey(
        "orgs.Area",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name="区域范围",
    )
    point_type = models.ForeignKey(
        "orgs.PointType",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name="点位类型",
    )
    unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.CASCADE,
        related_name="routing_rules",
        verbose_name="责任单位",
    )
    priority = models.IntegerField("优先级", default=100, help_text="数字越小越优先")
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=255, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "派遣规则"
        verbose_name_plural = "派遣规则"
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name
