"""The coverage list's rows and whole page, kept once drawn under the couples' revisions."""

import hashlib

from django.contrib import messages
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.contrib.admin.views.main import ChangeList
from django.db.models import F
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from couples.fragments import Rendered, digest_key, fragments_get_or_render, key_for
from couples.queries import revision_of
from insurance.admin.payers import authorization_use_read


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
