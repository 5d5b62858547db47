"""The coverage list: Django's, with each row's current authorization use read for the page."""

from django.contrib.admin.views.main import ChangeList
from django.utils import timezone

from insurance.admin.payers import authorization_use_read


class CoverageChangeList(ChangeList):
    """The rows of one page read their current authorizations' use together, in two queries
    (the authorizations, then the attendance behind them), instead of two per row."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        authorization_use_read(self.result_list, today=timezone.localdate())
