import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_bool, env_int


def test_boolean_settings_accept_the_usual_spellings(monkeypatch):
    for text, value in [("true", True), ("1", True), ("off", False), ("No", False)]:
        monkeypatch.setenv("SOME_FLAG", text)
        assert env_bool("SOME_FLAG") is value


def test_a_malformed_boolean_setting_stops_startup(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")


def test_a_malformed_number_setting_stops_startup(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")

    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        env_int("SOME_NUMBER", 1)


def test_production_refuses_to_start_without_a_secret_key():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={"DEBUG": "false", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
