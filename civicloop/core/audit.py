"""The one way to write an audit row."""

from django.db.models import Model

from civicloop.core.models import AuditEvent


def record(
    actor,
    action: str,
    obj: Model | None = None,
    *,
    object_type: str = "",
    summary: str = "",
    data: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:255] if summary else (str(obj)[:255] if obj is not None else ""),
        data=data or {},
    )
