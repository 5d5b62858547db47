"""Django admin pieces that pass axe: Django's own leave a few gaps we close here.

- A tabular inline's inputs have no label of their own (the column header is not one), so a
  screen reader reads "edit text" for each cell: every field here carries an aria-label with
  its column and row.
- The two-box "filter_horizontal" widget puts an aria-label on a plain span, which ARIA
  forbids: many-to-many fields stay the labelled multiple select (FILTER_HORIZONTAL_OFF).
"""

from django.contrib import admin

# For a ModelAdmin's filter_horizontal: the labelled <select multiple> instead of the widget.
FILTER_HORIZONTAL_OFF = ()


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose every input is named "<column>, row N" (or "new row")."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                row = "new row" if index is None else f"row {index + 1}"
                for field in form.fields.values():
                    field.widget.attrs["aria-label"] = f"{field.label}, {row}"

        return LabelledFormSet
