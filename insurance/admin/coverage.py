"""Coverage: the verification work queue, its verify and deny steps and the card images."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from audit.models import AuditEvent
from audit.services import access_denied_record, audit_record
from common.forms import attach_service_error
from common.moments import moment_text
from couples.admin import PatientRecordAuditMixin, QuickActionCheckboxMixin, ServiceFormMixin
from insurance import admin_forms, services
from insurance.admin.changelist import CoverageChangeList
from insurance.admin.filters import ExpiringFilter, ReverifyDueFilter
from insurance.admin.payers import AuthorizationInline, BenefitInline
from insurance.models import Coverage, CoverageCard, CoverageStatusChange

# A symbol beside each status, so the list reads at a glance without colour (and without
# inline styles, which the Content-Security-Policy blocks).
STATUS_SYMBOLS = {
    Coverage.Status.UNVERIFIED: "○",
    Coverage.Status.PENDING: "◐",
    Coverage.Status.VERIFIED: "✔",
    Coverage.Status.DENIED: "✖",
    Coverage.Status.EXPIRED: "⌛",
}
# The list draws one badge per row: build each status's once.
STATUS_BADGES = {
    status: format_html("<strong>{} {}</strong>", symbol, status.label)
    for status, symbol in STATUS_SYMBOLS.items()
}
CARD_HELP = "A photo of the insurance card: JPEG, PNG or WebP, up to 5 MB. Replaces the old one."


class StatusHistoryInline(admin.TabularInline):
    """Every verification status change, as it happened: read only."""

    model = CoverageStatusChange
    extra = 0
    fields = ["at", "from_status", "to_status", "by", "note"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "Verification history"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CoverageAdminForm(forms.ModelForm):
    """The coverage form plus the card's two sides; the images are saved by
    coverage_card_upload once the coverage itself is saved."""

    card_front = forms.FileField(label="Card, front", required=False, help_text=CARD_HELP)
    card_back = forms.FileField(label="Card, back", required=False, help_text=CARD_HELP)

    def clean_card_front(self):
        return self._checked_card("card_front")

    def clean_card_back(self):
        return self._checked_card("card_back")

    def _checked_card(self, name: str):
        file = self.cleaned_data.get(name)
        if file:
            services.card_image_content_type(file)  # refuses early, with the same message
        return file

    def clean(self):
        """The plan's dates in sensible bounds, each message on its own field; only the
        dates being set are held to them (a plan entered years ago keeps its start)."""
        cleaned = super().clean()
        changed = set(self.changed_data) & {"effective_on", "terminates_on", "reverify_on"}
        if changed and cleaned.get("effective_on"):
            try:
                services.coverage_dates_check(
                    effective_on=cleaned["effective_on"],
                    terminates_on=cleaned.get("terminates_on")
                    if changed - {"reverify_on"}
                    else None,
                    reverify_on=cleaned.get("reverify_on") if "reverify_on" in changed else None,
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(Coverage)
class CoverageAdmin(
    QuickActionCheckboxMixin, ServiceFormMixin, PatientRecordAuditMixin, admin.ModelAdmin
):
    """The verification work queue. Status changes only through the verify, deny and
    re-verification steps, so each one is recorded in the history."""

    list_display = [
        "partner_name",
        "payer",
        "plan_type",
        "status_badge",
        "verified_at",
        "reverify_on",
        "terminates_on",
        "authorization_use",
    ]
    list_filter = ["status", ReverifyDueFilter, ExpiringFilter, "plan_type", "payer"]
    list_select_related = ["partner__user", "payer"]
    search_fields = [
        "member_id",
        "partner__user__email",
        "partner__user__first_name",
        "partner__user__last_name",
        "partner__preferred_name",
    ]
    readonly_fields = [
        "status",
        "verified_by",
        "verified_at",
        "verification_method",
        "reference_number",
        "verification_steps",
        "card_images",
    ]
    form = CoverageAdminForm
    # A plain select, not the autocomplete box: its combobox has no accessible name, and a
    # clinic deals with tens of payers, not thousands.
    inlines = [BenefitInline, AuthorizationInline, StatusHistoryInline]
    actions = ["mark_verified", "mark_denied", "request_reverification"]
    # A work queue read from the top: 25 rows a page cost a quarter of 100 to draw.
    list_per_page = 25
    show_full_result_count = False

    def get_changelist(self, request, **kwargs):
        return CoverageChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "partner" and field is not None:
            # Staff pick a patient by full name and email, never a first name alone (two
            # Jordans), in name order.
            field.queryset = field.queryset.select_related("user").order_by(
                "user__last_name", "user__first_name", "user__email"
            )
            field.label_from_instance = _partner_label
        return field

    def patients_of(self, coverage: Coverage) -> list:
        return [coverage.partner]

    @admin.display(description="Authorization use")
    def authorization_use(self, coverage: Coverage) -> str:
        return getattr(coverage, "authorization_use", "—")

    @admin.display(description="Partner", ordering="partner__user__last_name")
    def partner_name(self, coverage: Coverage) -> str:
        return _partner_label(coverage.partner)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, coverage: Coverage) -> str:
        return STATUS_BADGES[coverage.status]

    @admin.display(description="Verify")
    def verification_steps(self, coverage: Coverage) -> str:
        if coverage.pk is None:
            return "Save the coverage first."
        return format_html(
            '<a class="button" href="{}">Mark verified</a> '
            '<a class="button" href="{}">Mark denied</a>',
            reverse("admin:insurance_coverage_verify", args=[coverage.pk]),
            reverse("admin:insurance_coverage_deny", args=[coverage.pk]),
        )

    @admin.display(description="Card images")
    def card_images(self, coverage: Coverage) -> str:
        cards = list(coverage.cards.all()) if coverage.pk else []
        if not cards:
            return "No card uploaded yet."
        return format_html_join(
            " ",
            '<a href="{}" target="_blank" rel="noopener">{}</a> ({})',
            (
                (
                    reverse("admin:insurance_coverage_card", args=[coverage.pk, card.side]),
                    card.get_side_display(),
                    moment_text(card.uploaded_at),
                )
                for card in cards
            ),
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for side in CoverageCard.Side.values:
            file = form.cleaned_data.get(f"card_{side}")
            if file:
                services.coverage_card_upload(
                    coverage=form.instance, side=side, file=file, by=request.user, request=request
                )

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/verify/",
                self.admin_site.admin_view(self.verify_view),
                name="insurance_coverage_verify",
            ),
            path(
                "<int:pk>/deny/",
                self.admin_site.admin_view(self.deny_view),
                name="insurance_coverage_deny",
            ),
            # Not wrapped in admin_view: anyone without permission, signed in or not,
            # gets a 404 rather than a login page that confirms the card exists.
            path(
                "<int:pk>/card/<str:side>/",
                self.card_view,
                name="insurance_coverage_card",
            ),
        ]
        return extra + super().get_urls()

    def _coverage_for_change(self, request, pk: int) -> Coverage:
        coverage = get_object_or_404(Coverage.objects.select_related("partner__user"), pk=pk)
        if not self.has_change_permission(request, coverage):
            raise PermissionDenied
        return coverage

    def card_view(self, request, pk: int, side: str):
        """One side of the card, only for staff who may view coverages; every view audited."""
        user = request.user
        if not (user.is_active and user.is_staff and user.has_perm("insurance.view_coverage")):
            access_denied_record(
                user=user, request=request, target_type="insurance.CoverageCard", target_id=pk
            )
            raise Http404
        card = get_object_or_404(
            CoverageCard.objects.select_related("coverage__partner"), coverage_id=pk, side=side
        )
        audit_record(
            actor=user,
            action=AuditEvent.Action.READ,
            target=card,
            patient=card.coverage.partner,
            request=request,
            detail={"side": side},
        )
        response = FileResponse(card.image.open("rb"), content_type=card.content_type)
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Disposition"] = "inline"
        return response

    def verify_view(self, request, pk: int):
        coverage = self._coverage_for_change(request, pk)
        form = admin_forms.CoverageVerifyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.coverage_mark_verified(
                    coverage=coverage,
                    method=form.cleaned_data["method"],
                    reference_number=form.cleaned_data["reference_number"],
                    reverify_on=form.cleaned_data["reverify_on"],
                    by=request.user,
                    request=request,
                )
            except ValidationError as error:
                attach_service_error(form, error)
            else:
                self.message_user(request, f"{coverage} is verified.", messages.SUCCESS)
                return redirect("admin:insurance_coverage_change", coverage.pk)
        return self.render_service_form(
            request, title=f"Verify {coverage}", forms=[(None, form)], submit_label="Mark verified"
        )

    def deny_view(self, request, pk: int):
        coverage = self._coverage_for_change(request, pk)
        form = admin_forms.CoverageDenyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.coverage_mark_denied(
                    coverage=coverage,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                    request=request,
                )
            except ValidationError as error:
                attach_service_error(form, error)
            else:
                self.message_user(request, f"{coverage} is marked denied.", messages.WARNING)
                return redirect("admin:insurance_coverage_change", coverage.pk)
        return self.render_service_form(
            request, title=f"Deny {coverage}", forms=[(None, form)], submit_label="Mark denied"
        )

    def _one_coverage_form(self, request, queryset, url_name: str, why: str):
        """Verification and denial each need their own details (a reference number, a
        reason), so the list's action opens the form for one coverage at a time."""
        if queryset.count() != 1:
            self.message_user(request, f"Select one coverage: {why}", messages.WARNING)
            return None
        return redirect(url_name, queryset.get().pk)

    @admin.action(description="Mark verified…", permissions=["change"])
    def mark_verified(self, request, queryset):
        return self._one_coverage_form(
            request,
            queryset,
            "admin:insurance_coverage_verify",
            "each verification records its own method and reference number.",
        )

    @admin.action(description="Mark denied…", permissions=["change"])
    def mark_denied(self, request, queryset):
        return self._one_coverage_form(
            request, queryset, "admin:insurance_coverage_deny", "each denial records its reason."
        )

    @admin.action(description="Request re-verification", permissions=["change"])
    def request_reverification(self, request, queryset):
        done = 0
        for coverage in queryset:
            try:
                services.coverage_request_reverification(
                    coverage=coverage, by=request.user, request=request
                )
                done += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{coverage}: {' '.join(error.messages)}", messages.WARNING
                )
        if done:
            self.message_user(request, f"{done} coverage(s) sent back for re-verification.")


def _partner_label(partner) -> str:
    """A patient as staff pick and read them: full name and email (unique)."""
    user = partner.user
    return f"{user.get_full_name() or user.email} ({user.email})"
