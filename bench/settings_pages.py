"""Production settings for the page benchmark (bench/pages/), plus only what it measures with.

The web server gets the same environment production does (DEBUG off, its own SECRET_KEY,
persistent connections); bench/pages/ sets it. Added here: the floor view's URLconf, its
template folder, the header counting queries, and confirmations in a cookie (see below).
BENCH_STATIC_ROOT collects static files outside the repository; BENCH_STATIC=plain skips the
manifest (for the quick smoke test), and BENCH_LOCMEM_CACHE=true keeps the cache in memory
when a test database has no cache table (the test settings make none).
"""

import copy

from config.settings import *  # noqa: F403
from config.settings import (
    BASE_DIR,
    MIDDLEWARE,
    STATIC_ROOT,
    STORAGES,
    TEMPLATES,
    env_bool,
    env_str,
)

ROOT_URLCONF = "bench.urls_pages"
# The load never follows the redirect after a POST, whose page would read the confirmation
# and clear it; kept in the session (production), the confirmations would pile up there and
# every POST would save a larger session. In a cookie the load does not send back, each POST
# leaves one behind, as in production before the next page reads it (this leaves out the
# session's save, three queries).
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
MIDDLEWARE = ["bench.web.QueryCountMiddleware", *MIDDLEWARE]
TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
STATIC_ROOT = env_str("BENCH_STATIC_ROOT", str(STATIC_ROOT))
if env_str("BENCH_STATIC") == "plain":
    STORAGES = {
        **STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
if env_bool("BENCH_LOCMEM_CACHE"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
