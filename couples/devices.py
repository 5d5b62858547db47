"""A browser's user-agent string in plain words: "Chrome on Android", "Safari on iPhone".

The list of signed-in devices shows these instead of the raw string. Only the common browsers
and systems are named; anything else is "A browser" (on its system, when that is known).
The order of each list matters: most browsers also claim to be the ones they grew from
(Edge and Opera say "Chrome", Chrome says "Safari", everything says "Mozilla").
"""

UNKNOWN = "A browser"

# (marker in the user-agent string, browser name), first match wins.
BROWSERS = [
    ("EdgiOS/", "Edge"),
    ("EdgA/", "Edge"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("OPiOS/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Version/", "Safari"),  # Safari says "Version/17.4 … Safari/605.1.15"
]

# (marker, system name), first match wins: iPhones also say "like Mac OS X", Android
# phones say "Linux", and iPads asking for desktop sites say "Macintosh" (and are Macs here).
SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "Mac"),
    ("Linux", "Linux"),
]


def device_name(user_agent: str | None) -> str:
    """ "Browser on System", or as much of it as the string tells."""
    user_agent = user_agent or ""
    browser = _first(BROWSERS, user_agent)
    system = _first(SYSTEMS, user_agent)
    if browser == "Safari" and "Safari/" not in user_agent:
        browser = ""  # "Version/" alone is not Safari (some bots and embedded views)
    if browser and system:
        return f"{browser} on {system}"
    if system:
        return f"{UNKNOWN} on {system}"
    return browser or UNKNOWN


def _first(markers: list[tuple[str, str]], user_agent: str) -> str:
    return next((name for marker, name in markers if marker in user_agent), "")
