"""Celery tasks of inspections. Thin: ids in, services called, idempotent."""

from celery import shared_task


@shared_task(name="inspections.retry_problems", ignore_result=True)
def retry_problems(inspection_id: int, user_id: int) -> int:
    """Re-run problem opening for a submitted inspection (only items without a problem)."""
    from civicloop.accounts.models import User
    from civicloop.inspections import services
    from civicloop.inspections.models import Inspection

    inspection = Inspection.objects.select_related("round", "point__area").get(pk=inspection_id)
    return services.inspection_retry_problems(
        user=User.objects.get(pk=user_id), inspection=inspection
    )
