"""Measures' pages: the partner's (portal) and the care team's (clinic)."""
