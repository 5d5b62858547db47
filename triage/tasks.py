"""Celery entry points of the work queue: thin, they call one service."""

from celery import shared_task

from triage.sweeps import sweep


@shared_task
def triage_sweep_task() -> dict[str, tuple[int, int]]:
    """Bring the queue in line with what is true now (beat, every five minutes)."""
    return sweep()
