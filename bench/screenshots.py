"""Screenshots of the portal's main pages on a phone and a desktop, for docs/screenshots/.

Run against a server with the demo clinic (`make run`, or `make screenshots`, which starts
one): signs in as a demo partner and saves the home, a goal, the sessions and the check-in at
390×844 (a phone) and 1280×800, whole pages, plus each page's height in a small report.

    .venv/bin/python -m bench.screenshots --base-url http://localhost:8000 \
        --out docs/screenshots/after
"""

import argparse
import json
import os
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

DEMO_EMAIL = "jordan@demo.couplesrehab.test"
DEMO_PASSWORD = "recovery-together-2026"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
PAGES = {
    "home": "/portal/",
    "sessions": "/portal/sessions/",
    "checkin": "/portal/checkin/",
}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def goal_path(page, base_url: str) -> str:
    """The first of the partner's goals linked from the home or the goals page (its id differs
    per seeding)."""
    page.goto(base_url + PAGES["home"])
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        if re.search(r"/portal/goals/\d+/$", href):
            return href.removeprefix(base_url)
    page.goto(base_url + "/portal/goals/")
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        if re.search(r"/portal/goals/\d+/$", href):
            return href.removeprefix(base_url)
    raise SystemExit("No goal linked from the home or the goals page")


def take(base_url: str, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    heights: dict[str, dict[str, int]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for device, viewport in VIEWPORTS.items():
            context = browser.new_context(
                viewport=viewport,
                device_scale_factor=1,
                is_mobile=device == "phone",
                has_touch=device == "phone",
                reduced_motion="reduce",
            )
            page = context.new_page()
            page.goto(base_url + "/accounts/login/")
            page.fill("[name=login]", DEMO_EMAIL)
            page.fill("[name=password]", DEMO_PASSWORD)
            page.locator("form [type=submit]").last.click()
            page.wait_for_load_state()
            paths = {**PAGES, "goal": goal_path(page, base_url)}
            for name, path in paths.items():
                page.goto(base_url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / f"{name}-{device}.png"), full_page=True)
                height = page.evaluate("document.documentElement.scrollHeight")
                heights.setdefault(name, {})[device] = height
            context.close()
        browser.close()
    (out / "heights.json").write_text(json.dumps(heights, indent=2) + "\n")
    return heights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://localhost:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots/after"))
    arguments = parser.parse_args()
    print(json.dumps(take(arguments.base_url.rstrip("/"), arguments.out), indent=2))


if __name__ == "__main__":
    main()
