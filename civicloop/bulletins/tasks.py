"""Celery tasks of the bulletins app. Thin: they take ids and call services."""

from celery import shared_task

from civicloop.bulletins import services


@shared_task(name="bulletins.generate", ignore_result=True)
def generate_bulletin(bulletin_id: int) -> str:
    """Render a queued bulletin (DOCX, XLSX, PDF when possible). Idempotent; errors are
    stored on the row, not raised."""
    return services.bulletin_generate(bulletin_id).status
