"""The site's own address, as settings give it."""

from urllib.parse import urlsplit


def site_host(site_url: str) -> str:
    """The host name in SITE_URL, for Message-IDs and calendar UIDs."""
    return urlsplit(site_url).hostname or "localhost"
