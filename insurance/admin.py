import datetime
import hashlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from audit.models import AuditEvent
from audit.services import access_denied_record, audit_record
from couples.admin import PatientRecordAuditMixin, ServiceFormMixin
from couples.forms import attach_service_error
from couples.fragments import (
    Rendered,
    digest_key,
    fragments_get_or_render,
    key_for,
    request_token_placeholders,
    with_request_tokens,
)
from couples.queries import revision_of
from insurance import admin_forms, queries, services
from insurance.models import (
    Authorization,
    Benefit,
    Coverage,
    CoverageCard,
    CoverageStatusChange,
    Payer,
)

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
EXPIRING_WITHIN = datetime.timedelta(days=30)
CARD_HELP = "A photo of the insurance card: JPEG, PNG or WebP, up to 5 MB. Replaces the old one."


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "payer_id"]
    search_fields = ["name", "payer_id"]


class BenefitInline(admin.TabularInline):
    model = Benefit
    extra = 0


class AuthorizationInline(admin.TabularInline):
    model = Authorization
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


class CoverageChangeList(ChangeList):
    """The coverage list, each row kept once drawn (couples/fragments.py) under its couple's
    revision, read in the statement that reads the page's rows: the database raises it with
    any change to the coverage, its authorizations, the attendance that uses them, the payer
    or the partner's name. Rows drawn again read their current authorization use together,
    in two queries (the authorizations, then the attendance behind them)."""

    def get_results(self, request):
        super().get_results(request)
        # Which coverages the page shows and their couples' revisions, in one statement that
        # joins nothing else (the count has no need of them); rows() reads in full only the
        # rows it must draw again.
        self.result_list = (
            self.result_list.select_related(None)
            .only("pk", "partner_id")
            .annotate(
                row_couple_id=F("partner__couple_id"),
                revision_value=revision_of("partner__couple_id"),
            )
        )

    def rows(self, request) -> list[SafeString]:
        """Each row's cells, as Django's own items_for_result draws them."""
        today = timezone.localdate()
        # Besides the coverage and the day (which authorization is current, which expired),
        # a row's cells follow the columns and the filters its link carries back to the list.
        shape = hashlib.sha256(
            repr(
                (
                    self.list_display,
                    self.list_display_links,
                    self.preserved_filters,
                    self.is_popup,
                    self.to_field,
                )
            ).encode()
        ).hexdigest()[:16]
        keys = {
            coverage.pk: key_for(
                "coverage-row",
                couple_id=coverage.row_couple_id,
                revision=coverage.revision_value,
                viewer_id=request.user.pk,
                coverage=coverage.pk,
                day=today,
                shape=shape,
            )
            for coverage in self.result_list
        }

        def render(missing: list[int]) -> dict[int, Rendered]:
            # Read after the revisions, so never older than the revision they are kept under.
            coverages = list(self.apply_select_related(self.root_queryset).filter(pk__in=missing))
            authorization_use_read(coverages, today=today)
            return {
                coverage.pk: Rendered({"row": "".join(items_for_result(self, coverage, None))})
                for coverage in coverages
            }

        parts = fragments_get_or_render(keys, render)
        return [parts[coverage.pk]["row"] for coverage in self.result_list]


def changelist_page_key(request, cl: CoverageChangeList) -> str | None:
    """The key of the coverage list page as `request` would draw it, or None if it must be
    drawn afresh: when it shows messages (shown once) or facet counts (which count rows
    beyond the page). The page follows:
    - the address with its query (filters, search, ordering, page, popup);
    - the viewer: their name and password link in the header, and their permissions, which
      decide the sidebar's models, the add button and the actions;
    - the language, zone and day (rows say which authorization is current);
    - the rows: each coverage with its couple's revision, which the database raises with any
      change to what a row shows (couples/revisions.py), and the count behind the paginator;
    - the filters' choices read from the database (the payers).
    """
    if cl.add_facets or messages.get_messages(request):
        return None
    user = request.user
    return digest_key(
        "coverage-list",
        request.get_full_path(),
        user.pk,
        user.get_short_name(),
        user.get_username(),
        user.has_usable_password(),
        user.is_superuser,
        sorted(user.get_all_permissions()),
        get_language(),
        timezone.get_current_timezone_name(),
        timezone.localdate(),
        cl.result_count,
        cl.full_result_count,
        [(row.pk, row.row_couple_id, row.revision_value) for row in cl.result_list],
        [getattr(spec, "lookup_choices", None) for spec in cl.filter_specs],
    )


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


class ExpiringFilter(admin.SimpleListFilter):
    title = "plan ends"
    parameter_name = "ending"

    def lookups(self, request, model_admin):
        return [("30", "within 30 days")]

    def queryset(self, request, queryset):
        if self.value() == "30":
            today = timezone.localdate()
            return queryset.filter(
                terminates_on__gte=today, terminates_on__lte=today + EXPIRING_WITHIN
            )
        return queryset


class ReverifyDueFilter(admin.SimpleListFilter):
    title = "re-verification"
    parameter_name = "reverify"

    def lookups(self, request, model_admin):
        return [("due", "due")]

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.filter(reverify_on__lte=timezone.localdate())
        return queryset


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


@admin.register(Coverage)
class CoverageAdmin(ServiceFormMixin, PatientRecordAuditMixin, admin.ModelAdmin):
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
    autocomplete_fields = ["payer"]
    inlines = [BenefitInline, AuthorizationInline, StatusHistoryInline]
    actions = ["mark_verified", "mark_denied", "request_reverification"]
    # A work queue read from the top: 25 rows a page cost a quarter of 100 to draw.
    list_per_page = 25
    show_full_result_count = False

    def get_changelist(self, request, **kwargs):
        return CoverageChangeList

    def changelist_view(self, request, extra_context=None):
        """Django's list, with the whole page kept (couples/fragments.py) under a digest of
        everything it is drawn from (changelist_page_key). Access is checked, and the page's
        rows and their couples' revisions read, on every request: only the drawing is saved.
        Each response carries its own request's CSRF token and CSP nonce."""
        if request.method != "GET":
            return super().changelist_view(request, extra_context)
        extra_context = {**(extra_context or {}), **request_token_placeholders(request)}
        response = super().changelist_view(request, extra_context)
        if not isinstance(response, TemplateResponse):
            return response  # a redirect after a wrong filter
        key = changelist_page_key(request, response.context_data["cl"])
        if key is None:
            html = response.rendered_content
        else:
            html = fragments_get_or_render(
                {0: key}, lambda _: {0: Rendered({"page": response.rendered_content})}
            )[0]["page"]
        response.content = with_request_tokens(html, request)
        return response

    def patients_of(self, coverage: Coverage) -> list:
        return [coverage.partner]

    @admin.display(description="Authorization use")
    def authorization_use(self, coverage: Coverage) -> str:
        return getattr(coverage, "authorization_use", "—")

    @admin.display(description="Partner", ordering="partner__user__last_name")
    def partner_name(self, coverage: Coverage) -> str:
        user = coverage.partner.user
        return f"{user.get_full_name() or user.email} ({user.email})"

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
                    timezone.localtime(card.uploaded_at).strftime("%Y-%m-%d %H:%M"),
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
