"""Celery tasks of the ledger. Thin: they call services and take ids only."""

from celery import shared_task

from civicloop.problems import services


@shared_task(name="problems.sweep_overdue", ignore_result=True)
def sweep_overdue() -> dict:
    """Flag overdue problems and escalate them (beat: every 10 minutes). Idempotent."""
    result = services.problem_sweep_overdue()
    return {
        "flagged": result.flagged,
        "cleared": result.cleared,
        "escalated": {str(k): v for k, v in result.escalated.items()},
    }
