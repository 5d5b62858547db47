"""How dates and times read on the clinic's pages (settings.FORMAT_MODULE_PATH)."""
