"""The container stack (Dockerfile, docker-compose.yml, .env.example) matches the code it runs.

No Docker engine runs here, so nothing is built or started: these tests validate the compose file
against the compose spec and check every name the stack uses (services, modules, URL paths, Celery
node names, environment variables) against the project itself.
"""

import ast
import json
import re
import shlex
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml
from celery.app.utils import find_app
from celery.beat import beat_nodename
from celery.utils.nodenames import default_nodename
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.urls import reverse

from config.celery_app import app as celery_app
from config.settings import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
SETTINGS_FILE = ROOT / "config" / "settings.py"

ENV_HELPERS = {"env_str", "env_bool", "env_int", "env_list"}
LONG_RUNNING = ["web", "worker", "beat", "postgres", "redis"]


def _services() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def _app_services() -> dict:
    """Services built from the Dockerfile: they run the project's code and read .env."""
    return {name: service for name, service in _services().items() if "build" in service}


def _command(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _option(command: list[str], *flags: str) -> str:
    for index, part in enumerate(command):
        if part in flags:
            return command[index + 1]
        for flag in flags:
            if part.startswith(f"{flag}="):
                return part.split("=", 1)[1]
    raise AssertionError(f"none of {flags} in {command}")


def _depends_on(service: dict) -> dict[str, str]:
    """Each service this one waits for, with the condition it waits for."""
    depends_on = service.get("depends_on", {})
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {
        name: (options or {}).get("condition", "service_started")
        for name, options in depends_on.items()
    }


def _healthcheck(service: dict) -> list[str]:
    """The health check as the container runs it: compose turns "$$" into "$" first."""
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    return [part.replace("$$", "$") for part in test]


def _healthcheck_text(service: dict) -> str:
    return " ".join(_healthcheck(service)[1:])


def _settings_reads() -> dict[str, ast.Call]:
    """Every environment variable config/settings.py reads, with the call that reads it."""
    reads = {}
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.args[0]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            continue
        function = ast.unparse(node.func)
        if function in ENV_HELPERS or function in ("os.environ.get", "os.getenv"):
            reads[name.value] = node
    return reads


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def _dockerfile_instructions(keyword: str) -> list[str]:
    """The arguments of every `keyword` instruction, continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [
        line.split(None, 1)[1]
        for line in text.splitlines()
        if line.split(None, 1)[:1] == [keyword] and len(line.split(None, 1)) == 2
    ]


def _dockerfile_env() -> dict[str, str]:
    values = {}
    for arguments in _dockerfile_instructions("ENV"):
        for pair in shlex.split(arguments):
            name, _, value = pair.partition("=")
            values[name] = value
    return values


def _fixed_host_port(port) -> str | None:
    """The host port a `ports` entry pins, or None when Docker picks one."""
    if isinstance(port, dict):
        return port.get("published")
    parts = str(port).split("/")[0].split(":")
    if len(parts) == 1:
        return None
    return parts[-2] or None


# The compose file


def test_compose_file_is_valid_under_the_compose_spec():
    # check-jsonschema ships the compose spec, so this needs no network.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE_FILE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_depends_on_names_a_service():
    services = _services()

    for name, service in services.items():
        missing = set(_depends_on(service)) - set(services)
        assert not missing, f"{name} depends on undefined {missing}"


def test_the_stack_has_web_worker_beat_migrate_postgres_and_redis():
    assert {"web", "worker", "beat", "migrate", "postgres", "redis"} <= set(_services())


def test_every_long_running_service_has_a_healthcheck():
    services = _services()
    one_shots = {
        name
        for service in services.values()
        for name, condition in _depends_on(service).items()
        if condition == "service_completed_successfully"
    }

    assert one_shots == {"migrate"}
    for name in set(services) - one_shots:
        assert "healthcheck" in services[name], name
        assert not services[name]["healthcheck"].get("disable"), name
        assert _healthcheck(services[name])[0] in ("CMD", "CMD-SHELL"), name
    assert set(LONG_RUNNING) <= set(services) - one_shots


def test_only_the_migrate_service_runs_migrations_and_it_runs_once():
    services = _app_services()

    # migrate, then the grants of the role the other services connect as.
    assert _command(services["migrate"])[:2] == ["sh", "-c"]
    assert _command(services["migrate"])[2] == (
        "python manage.py migrate --noinput && python manage.py db_grants couples_app"
    )
    assert services["migrate"]["restart"] == "no"
    for name, service in services.items():
        if name != "migrate":
            assert "migrate" not in _command(service), name


def test_web_worker_and_beat_start_after_migrations_and_healthy_servers():
    services = _services()

    for name in ("web", "worker", "beat"):
        assert _depends_on(services[name]) == {
            "migrate": "service_completed_successfully",
            "postgres": "service_healthy",
            "redis": "service_healthy",
        }, name
    assert _depends_on(services["migrate"])["postgres"] == "service_healthy"


def test_app_services_reach_the_compose_postgres_and_redis():
    services = _services()
    postgres = services["postgres"]["environment"]

    for name, service in _app_services().items():
        assert service["env_file"] == ".env", name
        database = urllib.parse.urlsplit(service["environment"]["DATABASE_URL"])
        broker = urllib.parse.urlsplit(service["environment"]["REDIS_URL"])
        assert database.scheme == "postgres", name
        assert (database.hostname, database.port) == ("postgres", 5432), name
        # Only migrate connects as the owner; the others as the role that owns nothing.
        owner = name == "migrate"
        assert (database.username == postgres["POSTGRES_USER"]) == owner, name
        assert (database.username == "couples_app") != owner, name
        assert database.path == "/" + postgres["POSTGRES_DB"], name
        assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379), name


def test_the_app_role_is_created_when_postgres_first_starts():
    postgres = _services()["postgres"]
    script = ROOT / "config" / "postgres" / "app-role.sh"

    assert (
        f"./{script.relative_to(ROOT)}:/docker-entrypoint-initdb.d/10-app-role.sh:ro"
        in (postgres["volumes"])
    )
    assert "CREATE ROLE couples_app LOGIN" in script.read_text()
    assert "APP_DB_PASSWORD" in postgres["environment"]


def test_web_and_worker_can_run_several_containers_at_once():
    services = _services()

    for name in ("web", "worker"):
        assert "container_name" not in services[name], name
        for port in services[name].get("ports", []):
            assert _fixed_host_port(port) is None, f"{name} pins host port {port}"


def test_beat_is_not_replicated():
    beat = _services()["beat"]

    assert "container_name" not in beat
    assert beat.get("scale", 1) == 1
    assert beat.get("deploy", {}).get("replicas", 1) == 1


# Web


def test_web_command_starts_gunicorn_with_the_projects_wsgi_application():
    command = _command(_services()["web"])
    app_specs = [part for part in command if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", part)]

    assert command[0] == "gunicorn"
    assert app_specs == ["config.wsgi:application"]
    module_name, attribute = app_specs[0].split(":")
    assert f"{module_name}.{attribute}" == settings.WSGI_APPLICATION
    module = __import__(module_name, fromlist=[attribute])
    assert callable(getattr(module, attribute))


def test_dockerfile_default_command_is_the_web_command():
    commands = _dockerfile_instructions("CMD")

    assert len(commands) == 1
    assert json.loads(commands[0]) == _command(_services()["web"])


def test_web_healthcheck_fetches_healthz_on_the_port_gunicorn_binds():
    web = _services()["web"]
    port = _option(_command(web), "--bind", "-b").rsplit(":", 1)[1]
    url = f"http://127.0.0.1:{port}{reverse('healthz')}"

    assert _healthcheck(web)[:3] == ["CMD", "python", "-c"]
    assert re.search(re.escape(url) + r"['\"]", _healthcheck_text(web))
    assert any(int(port) == entry["target"] for entry in web["ports"])


def test_healthz_is_exempt_from_the_https_redirect():
    # The health check speaks plain HTTP inside the container.
    path = reverse("healthz").lstrip("/")

    assert any(re.search(pattern, path) for pattern in settings.SECURE_REDIRECT_EXEMPT)


@pytest.mark.parametrize(
    "allowed_hosts",
    [None, "clinic.example.org", "clinic.example.org,localhost", ".example.org", "*", "[::1]"],
)
def test_web_healthcheck_sends_a_host_that_allowed_hosts_accepts(monkeypatch, allowed_hosts):
    if allowed_hosts is None:
        allowed_hosts = _env_example()["ALLOWED_HOSTS"]
    monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)
    sent = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda request, **kwargs: sent.append(request))

    exec(_healthcheck(_services()["web"])[3], {"__name__": "__main__"})

    [request] = sent
    domain, _port = split_domain_port(request.get_header("Host"))
    assert validate_host(domain, env_list("ALLOWED_HOSTS"))
    assert urllib.parse.urlsplit(request.full_url).path == reverse("healthz")


# Worker and beat


def test_worker_and_beat_run_the_projects_celery_app():
    services = _services()

    for name in ("worker", "beat"):
        command = _command(services[name])
        assert command[0] == "celery", name
        assert find_app(_option(command, "-A", "--app")) is celery_app, name
        assert name in command, name


def test_worker_healthcheck_pings_its_own_node():
    worker = _services()["worker"]
    command = _command(worker)

    assert "-n" not in command and "--hostname" not in command
    assert "inspect ping" in _healthcheck_text(worker)
    assert f"--destination {default_nodename('$HOSTNAME')} " in _healthcheck_text(worker)


def test_beat_healthcheck_pings_beat_with_remote_control_on():
    beat = _services()["beat"]

    assert "--enable-remote-control" in _command(beat)
    assert "inspect ping" in _healthcheck_text(beat)
    assert f"--destination {beat_nodename('$HOSTNAME')} " in _healthcheck_text(beat)


# Environment variables


def test_every_variable_in_env_example_and_compose_is_one_settings_reads():
    read = set(_settings_reads())
    named = set(_env_example())
    for service in _app_services().values():
        named |= set(service.get("environment", {}))

    assert named - read == set()


def test_every_variable_settings_reads_is_in_env_example():
    assert set(_settings_reads()) - set(_env_example()) == set()


def test_env_example_leaves_no_text_setting_with_a_default_empty():
    # env_str and env_list take an empty value as the value, not as "use the default":
    # DATA_DIR= would put the database and static files in the working directory.
    example = _env_example()

    for name, call in _settings_reads().items():
        if ast.unparse(call.func) not in ("env_str", "env_list") or len(call.args) < 2:
            continue
        default = call.args[1]
        if isinstance(default, ast.Constant) and default.value == "":
            continue
        assert example[name], f"{name} is empty in .env.example"


def test_env_example_values_are_valid_for_their_settings(monkeypatch):
    example = _env_example()

    for name, call in _settings_reads().items():
        monkeypatch.setenv(name, example[name])
        helper = ast.unparse(call.func)
        if helper == "env_bool":
            env_bool(name)
        elif helper == "env_int":
            env_int(name, 0)


def test_image_data_dir_is_the_one_env_example_sets():
    # Static files are collected into DATA_DIR at build time; another DATA_DIR at run time
    # would leave whitenoise without its manifest.
    assert _dockerfile_env()["DATA_DIR"] == _env_example()["DATA_DIR"]


# Dockerfile


def test_dockerfile_installs_the_hash_pinned_lock():
    installs = [run for run in _dockerfile_instructions("RUN") if "pip install" in run]

    assert len(installs) == 1
    arguments = shlex.split(installs[0])
    assert "--require-hashes" in arguments
    assert _option(arguments, "-r", "--requirement") == "requirements.lock"


def test_dockerfile_runs_as_a_user_that_is_not_root():
    users = _dockerfile_instructions("USER")
    lines = DOCKERFILE.read_text().splitlines()
    last_user = max(i for i, line in enumerate(lines) if line.startswith("USER "))
    command = max(i for i, line in enumerate(lines) if line.startswith("CMD "))

    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert last_user < command


def test_dockerfile_collects_static_files_at_build_time():
    assert any("manage.py collectstatic" in run for run in _dockerfile_instructions("RUN"))


def test_dockerignore_keeps_local_data_secrets_and_virtualenv_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())

    assert {"data", ".env", ".venv", ".git"} <= ignored
