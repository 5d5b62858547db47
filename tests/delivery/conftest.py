import os
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery_app import app as celery_app


@pytest.fixture
def redis_worker(transactional_db):
    """A real Celery worker consuming from Redis, in this process, on its own queue.

    Its own queue keeps any other worker on the same Redis from taking the tasks.
    Celery caches its configuration, so the app's conf is patched (not Django settings).
    """
    if not os.environ.get("REDIS_URL"):
        pytest.skip("delivery tests need Redis: set REDIS_URL (CI does)")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    saved = {key: celery_app.conf[key] for key in ["task_always_eager", "task_default_queue"]}
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue)
    try:
        with start_worker(
            celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
        ) as worker:
            yield worker
    finally:
        celery_app.conf.update(saved)
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
