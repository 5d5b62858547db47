"""Payers, and a coverage's benefits and authorizations with the units they have used."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.admin_a11y import LabelledTabularInline
from insurance import queries, services
from insurance.models import Authorization, Benefit, Coverage, Payer


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "payer_id"]
    search_fields = ["name", "payer_id"]


class BenefitInline(LabelledTabularInline):
    model = Benefit
    extra = 0


class AuthorizationForm(forms.ModelForm):
    def clean(self):
        """An authorization ends on or after its first day and within two years of it."""
        cleaned = super().clean()
        if cleaned.get("starts_on") and cleaned.get("ends_on"):
            try:
                services.authorization_dates_check(
                    starts_on=cleaned["starts_on"], ends_on=cleaned["ends_on"]
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class AuthorizationInline(LabelledTabularInline):
    model = Authorization
    form = AuthorizationForm
    extra = 0
    readonly_fields = ["use"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("coverage")

    @admin.display(description="Units used")
    def use(self, authorization: Authorization) -> str:
        if authorization.pk is None:
            return "—"
        # Inline instances live for one request: read the units of all this coverage's
        # authorizations once (one query), not once per row.
        if not hasattr(self, "_units_used"):
            siblings = list(authorization.coverage.authorizations.select_related("coverage"))
            self._units_used = queries.units_used_for_authorizations(authorizations=siblings)
        used = self._units_used.get(authorization.pk, 0)
        return authorization_use_label(authorization, used=used, today=timezone.localdate())


def authorization_use_label(authorization: Authorization, *, used: int, today) -> str:
    """ "12 of 20 used, 8 left", and whether it is used up or expired."""
    left = max(authorization.units_authorized - used, 0)
    label = f"{used} of {authorization.units_authorized} used, {left} left"
    if used >= authorization.units_authorized:
        return f"{label} (used up)"
    if authorization.ends_on < today:
        return f"{label} (expired)"
    return label


def authorization_use_read(coverages: list[Coverage], *, today: datetime.date) -> None:
    """Sets each coverage's authorization_use: its current authorization's use, or "—"."""
    current = list(
        Authorization.objects.filter(
            coverage__in=coverages, starts_on__lte=today, ends_on__gte=today
        ).select_related("coverage")
    )
    used = queries.units_used_for_authorizations(authorizations=current)
    labels = {
        a.coverage_id: authorization_use_label(a, used=used[a.pk], today=today) for a in current
    }
    for coverage in coverages:
        coverage.authorization_use = labels.get(coverage.pk, "—")
