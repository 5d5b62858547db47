"""The insurance admin, one module per part; Django's autodiscovery imports this package."""

# Importing each submodule registers its ModelAdmins (Payer, Coverage) with the admin site.
from insurance.admin import coverage, payers

# Named by the tests.
from insurance.admin.coverage import CoverageAdmin

__all__ = ["CoverageAdmin", "coverage", "payers"]
