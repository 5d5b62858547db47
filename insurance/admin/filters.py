"""The coverage list's own filters: plans ending soon, re-verification due."""

import datetime

from django.contrib import admin
from django.utils import timezone

EXPIRING_WITHIN = datetime.timedelta(days=30)


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
