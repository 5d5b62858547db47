"""A crawler in the spirit of wapiti (issue 17's acceptance): as each kind of person, open
every page they may open, and post every form on it with hostile values — oversized text, a
NUL byte, dates in 1900 and 2200, a script — one kind at a time.

Every answer is below 500; input the app should refuse (oversized, NUL, far-off dates)
changes no row, whatever the answer; a script may be kept as text, and then comes back
escaped.
"""

import hashlib
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps

from tests.auth import sign_in_with_mfa
from tests.test_access_matrix import (  # noqa: F401 (the fixture)
    MATRIX,
    VISITORS,
    clinic,
    matrix_path,
)

SCRIPT = "<script>alert(1)</script>"
MUTATIONS = {
    "oversized": lambda kind: "x" * 100_000 if kind == "text" else None,
    "nul": lambda kind: "a\x00b" if kind == "text" else None,
    "far past": lambda kind: {"date": "1900-01-01", "datetime": "1900-01-01T10:00"}.get(kind),
    "far future": lambda kind: {"date": "2200-01-01", "datetime": "2200-01-01T10:00"}.get(kind),
    "script": lambda kind: SCRIPT if kind == "text" else None,
}
# Forms whose posting ends the visit or the account's access: not input to test.
SKIPPED_ACTIONS = ("/accounts/logout/",)
# Rows that refused input may still write: the audit of the refusal, the session.
UNWATCHED_APPS = {"audit", "sessions", "usersessions", "admin", "contenttypes", "auth"}
ROLES = ["partner_of_this_couple", "clinician_on_the_care_team", "insurance_staff"]


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields (name, kind, default value)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {
                "action": a.get("action") or "",
                "fields": {},
                "enctype": a.get("enctype"),
            }
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name, fields = a["name"], self._form["fields"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if kind == "radio" and name in fields:
                    return
                if kind == "checkbox" and "checked" not in a:
                    return
                fields[name] = ("choice", a.get("value", "on"))
                return
            mapped = {"date": "date", "datetime-local": "datetime", "hidden": "hidden"}.get(
                kind, "number" if kind == "number" else "text"
            )
            if kind in ("email", "url", "tel", "search", "password"):
                mapped = "text"
            fields[name] = (mapped, a.get("value", ""))
        elif tag == "textarea":
            fields[name] = ("text", "")
            self._textarea = name
        elif tag == "select":
            fields[name] = ("choice", "")
            self._select = name
        elif tag == "option" and self._select:
            kind, value = self._form["fields"][self._select]
            if not value or "selected" in a:
                self._form["fields"][self._select] = (kind, a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            kind, _ = self._form["fields"][self._textarea]
            self._form["fields"][self._textarea] = (kind, data.strip())


def _fingerprint() -> str:
    """Every row of the app's own models, hashed: what refused input must leave as it was."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.app_label in UNWATCHED_APPS or model._meta.label in (
            "couples.Notification",
        ):
            continue
        for row in model._default_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _pages_for(role: str, clinic) -> list[str]:  # noqa: F811
    index = VISITORS.index(role)
    pages = []
    for template, statuses in MATRIX.items():
        if template.startswith("POST ") or statuses[index] != 200:
            continue
        pages.append(matrix_path(template, clinic))
    return [page for page in pages if not page.endswith(".ics")]


@pytest.mark.parametrize("role", ROLES)
def test_every_form_refuses_hostile_input_without_error_or_change(client, clinic, role):  # noqa: F811
    sign_in_with_mfa(client, clinic[role])
    problems, posted = [], 0
    for page in _pages_for(role, clinic):
        response = client.get(page)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(response.content.decode())
        # The rows as they stand before each post: taken before the page's first post, then
        # carried from one post's "after" to the next one's "before" (nothing runs between).
        before = None
        for form in parser.forms:
            action = urljoin(page, form["action"]) if form["action"] else page
            if urlsplit(action).path.startswith(SKIPPED_ACTIONS) or urlsplit(action).netloc:
                continue
            for mutation, value_for in MUTATIONS.items():
                data, mutated = {}, []
                for name, (kind, default) in form["fields"].items():
                    value = value_for(kind)
                    if value is None:
                        data[name] = default
                    else:
                        data[name], _ = value, mutated.append(name)
                if not mutated:
                    continue
                before = before or _fingerprint()
                answer = client.post(action, data)
                posted += 1
                after = _fingerprint()
                changed, before = after != before, after
                where = f"{role}: {mutation} into {action} ({', '.join(mutated)})"
                if answer.status_code >= 500:
                    problems.append(f"{where}: {answer.status_code}")
                elif changed and mutation != "script":
                    problems.append(f"{where}: accepted ({answer.status_code})")
                elif changed and answer.status_code != 302:
                    problems.append(f"{where}: refused ({answer.status_code}) but changed rows")
                elif changed:
                    if SCRIPT in client.get(answer["Location"]).content.decode():
                        problems.append(f"{where}: the script came back unescaped")
                    before = None  # opening that page may have written: take it afresh
    print(f"{role}: {posted} hostile posts")  # the count, for the record (-s shows it)
    assert posted > 0
    assert problems == []
