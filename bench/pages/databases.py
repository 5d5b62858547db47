"""The benchmark databases beside DATABASE_URL, the Django environment, and manage.py."""

import datetime
import json
import os
import secrets
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

from bench.pages.catalogue import ROOT, SETTINGS, WORK


def database_url_named(database_url: str, name: str) -> str:
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def _server(database_url: str):
    import psycopg

    server = database_url_named(database_url, "postgres")
    return psycopg.connect(server, autocommit=True)


def database_create(database_url: str, *, drop_first: bool = False) -> None:
    name = database_name(database_url)
    with _server(database_url) as connection:
        if drop_first:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def database_scalar(database_url: str, sql: str, params=()):
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        return connection.execute(sql, params).fetchone()[0]


def manage(*args: str, env: dict, capture: bool = False) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return completed.stdout or ""


def django_env(database_url: str, redis_url: str, **extra: str) -> dict:
    """What production sets (DEBUG off, a key, persistent connections), and the bench settings.

    Plain HTTP on localhost needs SECURE_SSL_REDIRECT off (its environment switch); cookies
    stay Secure as in production, the load generator sends them itself.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        AUDIT_CHAIN_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DB_CONN_MAX_AGE="60",
        SECURE_SSL_REDIRECT="false",
        BENCH_STATIC_ROOT=str(WORK / "staticfiles"),
        DATA_DIR=str(WORK / "data"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


DEFAULT_COUPLES = 2000
# seed_scale's defaults for 2,000 couples, kept in proportion at another size.
CLINICIANS_PER_COUPLE, SESSIONS_PER_COUPLE = 60 / 2000, 150_000 / 2000


def scale_database_ready(
    database_url: str, env: dict, *, reseed: bool, couples: int = DEFAULT_COUPLES
) -> dict:
    """Migrate the scale database and seed it once; later runs reuse it (seeding takes
    about a minute for 2,000 couples, half an hour for 20,000). The logins come from
    seed_scale's --json, kept in bench/.work/."""
    logins_file = WORK / f"{database_name(database_url)}.json"
    database_create(database_url)
    manage("migrate", "--noinput", "-v0", env=env)
    seeded = database_scalar(database_url, "SELECT EXISTS (SELECT 1 FROM couples_couple)")
    if seeded and logins_file.exists() and not reseed:
        seed = json.loads(logins_file.read_text())
        email = seed["logins"]["clinician"]["email"]
        if database_scalar(
            database_url, "SELECT EXISTS (SELECT 1 FROM couples_user WHERE email = %s)", [email]
        ):
            seeded_at = seed.get("seeded_at", "earlier")
            print(f"Reusing {database_name(database_url)} (seeded {seeded_at}).")
            return seed
    if seeded or reseed:
        print(f"Dropping {database_name(database_url)} to seed it again.")
        database_create(database_url, drop_first=True)
        manage("migrate", "--noinput", "-v0", env=env)
    manage("createcachetable", env=env)
    print(f"Seeding {database_name(database_url)} with {couples:,} couples…")
    size = [
        f"--couples={couples}",
        f"--clinicians={max(1, round(couples * CLINICIANS_PER_COUPLE))}",
        f"--sessions={round(couples * SESSIONS_PER_COUPLE)}",
    ]
    subprocess.run(
        [sys.executable, "-m", "bench.scale", "--yes-i-mean-it", *size, "--json", str(logins_file)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    seed = json.loads(logins_file.read_text())
    seed["seeded_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    logins_file.write_text(json.dumps(seed, indent=2))
    return seed


def demo_database_ready(database_url: str, env: dict) -> None:
    database_create(database_url)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("createcachetable", env=env)
    if not database_scalar(database_url, "SELECT EXISTS (SELECT 1 FROM couples_couple)"):
        manage("seed_demo", "--allow-production", env=env, capture=True)


def django_helper(command: str, payload: dict, *, env: dict) -> dict:
    """Run bench/pages_django.py against the database in env (JSON in, JSON out)."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.pages_django", command],
        cwd=ROOT,
        env=env,
        input=json.dumps(payload),
        text=True,
        capture_output=True,
    )
    if completed.returncode:
        raise RuntimeError(f"bench.pages_django {command} failed:\n{completed.stderr}")
    return json.loads(completed.stdout)
