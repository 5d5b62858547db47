"""Browser journeys: Debian Chromium driven by Playwright against pytest-django's live_server.

Every test in this folder carries the `browser` marker. Without Chromium the tests are
skipped, unless REQUIRE_BROWSER_TESTS is set (CI sets it): then they fail, so a runner
that lost its browser cannot pass silently. CHROMIUM_PATH overrides where Chromium is
looked for.
"""

import os
from pathlib import Path

import axe_playwright_python
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.browser.helpers import LOGIN_PATH, TOTP_PATH, submit, totp_code
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls beside it
# (factories, assertions on the database) would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# axe-playwright-python bundles axe-core: no Node needed.
AXE_SOURCE = Path(axe_playwright_python.__file__).with_name("axe.min.js")
BLOCKING_IMPACTS = {"serious", "critical"}


def _chromium_path() -> Path:
    override = os.environ.get("CHROMIUM_PATH")
    if override:
        return Path(override)
    # The binary itself skips the /usr/bin wrapper script and its harmless warning.
    direct = Path("/usr/lib/chromium/chromium")
    return direct if direct.exists() else Path("/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    # A conftest hook sees every collected item: mark only the ones in this folder.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def chromium_executable() -> Path:
    path = _chromium_path()
    if not path.exists():
        wanted = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
        reason = f"Chromium not installed at {wanted}: apt-get install chromium"
        if os.environ.get("REQUIRE_BROWSER_TESTS", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"REQUIRE_BROWSER_TESTS is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_executable):
    # Never `playwright install`: drive the Debian package instead.
    return {
        **browser_type_launch_args,
        "executable_path": str(chromium_executable),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    # Without pytest-base-url, pytest-playwright 0.10 supplies this fixture as an instance
    # method, which pytest 9 deprecates: an error under filterwarnings = error. Same value.
    return pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url") or None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Bootstrap drops its transitions under reduced motion, so axe reads settled colours
    # rather than a radio button caught half-way through its "checked" transition.
    return {**browser_context_args, "reduced_motion": "reduce"}


@pytest.fixture
def page(page):
    # Fail in seconds, not after Playwright's 30 s default, when a page is not what we expect.
    page.set_default_timeout(10_000)
    return page


@pytest.fixture(scope="session")
def live_server(django_db_setup, django_db_blocker, live_server):
    # Create the test database before the server thread starts: pytest-django hands an
    # in-memory SQLite connection to that thread only if it exists by then. Otherwise
    # each request thread opens its own connection, which is never closed (an error
    # under filterwarnings = error).
    yield live_server
    with django_db_blocker.unblock():
        _end_stray_database_sessions()


def _end_stray_database_sessions() -> None:
    """Close PostgreSQL sessions the browser tests left behind before the test database goes.

    Django keeps connections per thread and per context; ORM calls made between
    Playwright's sync calls run in greenlet contexts whose connections nobody closes,
    and PostgreSQL refuses to drop a database that still has sessions.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


@pytest.fixture
def site(live_server, transactional_db):
    """The live server's base URL. The server runs in another thread: data must be committed."""
    return live_server.url


@pytest.fixture
def activate_totp(transactional_db):
    """Give a user an authenticator app without the UI; returns the secret."""

    def activate(user) -> str:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        return secret

    return activate


@pytest.fixture
def enter_totp_code(page):
    """On allauth's code page, type a real code and submit; returns the code's counter."""

    def enter(secret: str, *, not_counter: int | None = None) -> int:
        code, counter = totp_code(secret, not_counter=not_counter)
        page.locator("[name=code]").fill(code)
        submit(page, "code")
        return counter

    return enter


@pytest.fixture
def sign_in(page, site):
    """Fill the real login form with an email and a password and submit it."""

    def fill_and_submit(email: str, password: str = PASSWORD) -> None:
        if not page.url.startswith(site + LOGIN_PATH):
            page.goto(site + LOGIN_PATH)
        page.locator("[name=login]").fill(email)
        page.locator("[name=password]").fill(password)
        submit(page, "password")

    return fill_and_submit


@pytest.fixture
def login_as(page, site, sign_in, enter_totp_code):
    """Sign a factory-made user in through the login form, and the code step when given a
    TOTP secret. Returns the counter of the code used, or None."""

    def login(user, *, totp_secret: str | None = None, not_counter: int | None = None):
        page.goto(site + LOGIN_PATH)
        sign_in(user.email)
        if totp_secret is None:
            return None
        assert page.url == site + TOTP_PATH, f"expected the code step, got {page.url}"
        return enter_totp_code(totp_secret, not_counter=not_counter)

    return login


def _describe(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(
                f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


@pytest.fixture
def axe_check(page, axe_source):
    """Run axe-core on the current page; fail on serious or critical violations.

    The script goes in with page.evaluate: the strict CSP blocks add_script_tag.
    Returns every violation (minor and moderate ones too) for the caller to inspect.
    """

    def check(target=None) -> list[dict]:
        target = target or page
        target.evaluate(axe_source)
        results = target.evaluate("axe.run(document, {resultTypes: ['violations']})")
        violations = results["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if violations:
            print(f"axe on {target.url}:\n{_describe(violations)}")
        assert not blocking, f"axe found on {target.url}:\n{_describe(blocking)}"
        return violations

    return check
