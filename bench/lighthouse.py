"""Lighthouse's mobile accessibility and best-practices scores for the portal's main pages.

Lighthouse is a Node program, not a dependency of the app: install it once beside the
checkout (`npm install --prefix .lighthouse lighthouse@13`) and point LIGHTHOUSE at its
binary. Against a server with the demo clinic (`make run`), this signs in as a demo partner
with Playwright, hands Lighthouse the session cookie and prints each page's two scores and
the audits that failed.

    LIGHTHOUSE=.lighthouse/node_modules/.bin/lighthouse \
        .venv/bin/python -m bench.lighthouse --base-url http://localhost:8000 --out /tmp/lighthouse
"""

import argparse
import json
import os
import subprocess
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.screenshots import CHROMIUM, DEMO_EMAIL, DEMO_PASSWORD, goal_path

PAGES = ["/portal/", "/portal/goals/", "/portal/sessions/", "/portal/checkin/", "/portal/more/"]
CATEGORIES = "accessibility,best-practices"


def _signed_in(base_url: str) -> tuple[str, str]:
    """The demo partner's session cookie, and the path of one of their goals."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context()
        page = context.new_page()
        page.goto(base_url + "/accounts/login/")
        page.fill("[name=login]", DEMO_EMAIL)
        page.fill("[name=password]", DEMO_PASSWORD)
        page.locator("form [type=submit]").last.click()
        page.wait_for_load_state()
        goal = goal_path(page, base_url)
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
        browser.close()
    return cookie, goal


def score(base_url: str, out: Path, lighthouse: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    cookie, goal_path = _signed_in(base_url)
    results = {}
    for path in [*PAGES, goal_path]:
        report_path = out / f"{path.strip('/').replace('/', '_') or 'root'}.json"
        subprocess.run(
            [
                lighthouse,
                base_url + path,
                "--quiet",
                f"--only-categories={CATEGORIES}",
                "--chrome-flags=--headless --no-sandbox",
                "--output=json",
                f"--output-path={report_path}",
                "--extra-headers",
                json.dumps({"Cookie": cookie}),
            ],
            check=True,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
        )
        report = json.loads(report_path.read_text())
        results[path] = {
            name: round(category["score"] * 100) for name, category in report["categories"].items()
        }
        results[path]["failed"] = [
            audit_id
            for audit_id, audit in report["audits"].items()
            if audit.get("scoreDisplayMode") == "binary" and audit.get("score") == 0
        ]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://localhost:8000")
    parser.add_argument("--out", type=Path, default=Path("/tmp/lighthouse"))
    arguments = parser.parse_args()
    lighthouse = os.environ.get("LIGHTHOUSE", "lighthouse")
    print(json.dumps(score(arguments.base_url.rstrip("/"), arguments.out, lighthouse), indent=2))


if __name__ == "__main__":
    main()
