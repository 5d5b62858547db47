"""Goals pages for two audiences: the patient portal (portal.py) and the clinic (clinic.py)."""
