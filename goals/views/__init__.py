"""Goals pages for two audiences: the patient portal (portal.py, and checkin.py for the daily
check-in and the help page) and the clinic (clinic.py)."""
