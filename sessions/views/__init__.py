"""Session pages: the clinic (clinic.py); partners, joining and calendar feeds (portal.py)."""
