"""axe over every page a partner, a clinician and a staff member can reach from their homes.

Not a fixed list: each role signs in to the demo clinic and follows the links on every page it
reaches (same site, GET only), from its home outward. Pages that differ only by an id or a
query string are one kind of page, checked once: a goal page is a goal page. So are the admin
pages Django draws from one template whatever the model (an app's index, an object's history,
its delete confirmation); each model's own list, add and change pages stay kinds of their
own. axe runs on each and the test fails on any serious or critical violation, naming the page.

The demo is seeded once for all four crawls (seeding is the slow part): they only follow
links, each in a fresh session, and each is a subtest, so a failing crawl is named and the
others still run.
"""

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve

from couples.management.commands.seed_demo import DEMO_DOMAIN
from couples.models import User
from tests.factories import PASSWORD

# Links never followed: they leave, sign out, download, or act on a GET (joining a session
# records the join). Password reset and the pages of other people's accounts are out of a
# signed-in person's reach anyway.
SKIPPED = re.compile(
    r"^/(accounts/logout/|sessions/\d+/join/|calendar/[^/]+\.ics|static/|healthz)"
    r"|/download/|/export/|\.ics$|\.csv$|\.pdf$"
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Each role's crawl stops here: far more kinds of page than any role has today.
MOST_PAGES = 120


# Admin views drawn from one template whatever the model: an app's index, an object's
# history, its delete confirmation. (A model's own list, add and change pages differ.)
GENERIC_ADMIN_VIEWS = {"app_index", "history_view", "delete_view"}


def _page_kind(path: str) -> str:
    """The path with its ids as N: /portal/goals/17/ and /portal/goals/18/ are one kind; in
    the admin, every model's history page is one kind (and so on, see GENERIC_ADMIN_VIEWS)."""
    try:
        view = resolve(path).func.__name__
    except Resolver404:
        view = None
    if path.startswith("/admin/") and view in GENERIC_ADMIN_VIEWS:
        return f"admin {view}"
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIPPED.search(parts.path):
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def crawl(page, site: str, home: str, axe_check) -> list[str]:
    """Breadth first from the home; axe on the first page of each kind. Returns the paths
    checked."""
    seen_kinds = {_page_kind(urlsplit(home).path)}
    queue, checked, failures = deque([home]), [], []
    while queue and len(checked) < MOST_PAGES:
        path = queue.popleft()
        response = page.goto(site + path)
        if response is None or response.status >= 400 or not page.url.startswith(site):
            continue
        checked.append(path)
        try:
            axe_check()
        except AssertionError as error:
            failures.append(str(error))
        for link in _links(page, site):
            kind = _page_kind(urlsplit(link).path)
            if kind not in seen_kinds:
                seen_kinds.add(kind)
                queue.append(link)
    print(f"axe crawl from {home}: {len(checked)} kinds of page: {' '.join(checked)}")
    assert not failures, "\n\n".join(failures)
    return checked


@pytest.fixture
def demo_clinic(transactional_db):
    call_command("seed_demo", allow_production=True, verbosity=0)


def _demo_user(name: str) -> User:
    """A demo person, with the factories' password (login_as types that one)."""
    user = User.objects.get(email=f"{name}@{DEMO_DOMAIN}")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def test_every_page_each_role_reaches_passes_axe(
    page, site, demo_clinic, sign_in, login_as, activate_totp, axe_check, subtests
):
    usual_viewport = page.viewport_size
    # Partners use phones most: their pages are crawled at a phone's size too (the tab bar).
    for name, viewport in [("phone", PHONE), ("desktop", DESKTOP)]:
        with subtests.test(f"a partner, {name}"):
            _new_session(page, viewport)
            _crawl_as_partner(page, site, sign_in, axe_check)
    with subtests.test("a clinician"):
        _new_session(page, usual_viewport)
        _crawl_as_clinician(page, site, login_as, activate_totp, axe_check)
    with subtests.test("a staff member"):
        _new_session(page, usual_viewport)
        _crawl_as_staff(page, site, login_as, activate_totp, axe_check)


def _new_session(page, viewport) -> None:
    """Signed out, at this size: as if the next person opened a new browser."""
    page.context.clear_cookies()
    page.set_viewport_size(viewport)


def _crawl_as_partner(page, site, sign_in, axe_check) -> None:
    page.goto(site + "/accounts/login/")
    sign_in(_demo_user("jordan").email)

    checked = crawl(page, site, "/portal/", axe_check)

    kinds = {_page_kind(urlsplit(path).path) for path in checked}
    # The crawl reached the portal's main kinds of page, so an empty crawl cannot pass.
    assert {"/portal/", "/portal/sessions/", "/portal/checkin/", "/portal/goals/N/"} <= kinds
    assert {"/portal/notes/", "/portal/notes/N/"} <= kinds  # from More: open notes
    assert len(checked) >= 12, checked


def _crawl_as_clinician(page, site, login_as, activate_totp, axe_check) -> None:
    maya = _demo_user("maya.chen")
    login_as(maya, totp_secret=activate_totp(maya))

    checked = crawl(page, site, "/clinic/", axe_check)

    kinds = {_page_kind(urlsplit(path).path) for path in checked}
    assert {"/clinic/", "/clinic/couples/N/", "/clinic/sessions/week/"} <= kinds
    assert "/clinic/couples/N/notes/" in kinds
    assert any(kind.startswith("/clinic/goals/N/") for kind in kinds), kinds
    assert len(checked) >= 15, checked


def _crawl_as_staff(page, site, login_as, activate_totp, axe_check) -> None:
    admin = _demo_user("admin")
    login_as(admin, totp_secret=activate_totp(admin))

    checked = crawl(page, site, "/admin/", axe_check)

    kinds = {_page_kind(urlsplit(path).path) for path in checked}
    assert "/admin/" in kinds
    assert any(kind.startswith("/admin/insurance/") for kind in kinds), kinds
    assert {f"admin {view}" for view in GENERIC_ADMIN_VIEWS} <= kinds, kinds
    assert len(checked) >= 10, checked
