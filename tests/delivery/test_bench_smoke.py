import json

import pytest
from django.db import connection

from bench import notifications as bench
from tests.delivery import harness

pytestmark = pytest.mark.delivery


def test_the_benchmark_sends_a_few_hundred_reminders_once_each_and_writes_its_report(
    delivery, tmp_path
):
    result = bench.run(
        count=300,
        database_url=harness.database_url(connection.settings_dict),
        redis_url=delivery.redis.url,
        workdir=tmp_path / "run",
        queue=delivery.queue,
        app_name=delivery.app_name,
    )
    bench.results_write(result, tmp_path / "results")

    assert (result["reminders"], result["sent"], result["distinct_message_ids"]) == (300, 300, 300)
    assert result["sent_twice_or_more"] == 0
    assert result["sent_per_second"] > 0
    assert result["worker_peak_rss_mib"]["total"] > 0
    assert json.loads((tmp_path / "results" / "notifications.json").read_text()) == result
    assert "Sent per second" in (tmp_path / "results" / "notifications.md").read_text()
