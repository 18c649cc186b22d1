"""Celery tasks of the scoring app. Thin: they take ids and call services."""

from celery import shared_task

from civicloop.scoring import services


@shared_task(name="scoring.run_computation", ignore_result=True)
def run_computation(computation_id: int) -> str:
    """Compute a period for a queued Computation row. Idempotent (a job that is already
    running or finished is left alone); errors are stored on the row, not raised."""
    return services.computation_run(computation_id).status
