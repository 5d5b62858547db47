"""Template filters for common.moments, built into every template (settings.TEMPLATES
"builtins"), like Django's own `date` and `time`:

    {{ session.starts_at|moment:time_zone }}   Monday, December 7 at 6:00 PM ET
    {{ notification.sent_at|relative }}        2 hours ago, yesterday at 9:15 AM
    {{ time_zone|zone_label }}                 Eastern Time (ET)
    {{ session.starts_at|zone_abbreviation }}  ET (in the current zone)

Without an argument they read the moment in the current zone ({% timezone %}, else the
clinic's). An empty value gives an empty string, as the `date` filter does.
"""

import datetime

from django import template

from common import moments

register = template.Library()


@register.filter
def moment(value: datetime.datetime | None, zone=None) -> str:
    if not isinstance(value, datetime.datetime):
        return ""
    return moments.moment_text(value, zone)


@register.filter
def relative(value: datetime.datetime | None, zone=None) -> str:
    if not isinstance(value, datetime.datetime):
        return ""
    return moments.relative_text(value, zone=zone)


@register.filter
def zone_label(value) -> str:
    return moments.zone_label(value) if value else ""


# A moment arrives converted to the current zone, whose name it is then given.
@register.filter(expects_localtime=True)
def zone_abbreviation(value) -> str:
    return moments.zone_abbreviation(value) if value else ""
