"""A partner's record as FHIR R4 (validated with `fhir.resources`' R4B models).

- `collect.py` reads what one partner's copy may carry (`PartnerRecord`), in a fixed number of
  queries however long the record is.
- `mapping.py` turns our rows into FHIR resources, one function per resource type.
- `bundle.py` puts a `PartnerRecord` into one Bundle with a Provenance naming the clinic.

The conventions an importer relies on (identifier systems, how a shared goal differs from an
individual one) are written in `mapping.py`'s docstring.
"""
