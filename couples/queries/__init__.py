"""Every read of couples' data that depends on who is asking.

A couple is visible to its two partners and to the clinicians currently on its
care team; to everyone else it does not exist (404), and the attempt is audited.

Split by subject: people (couples, partners, clinicians, care teams), consent (individual
items, sharing consent, the accounting of disclosures), caseload and notifications. Every
public name is re-exported here; patch a name in the submodule that looks it up.
"""

from couples.queries.caseload import (
    CASELOAD_SORTS,
    STATUS_ORDER,
    CaseloadRow,
    caseload_couples_for_clinician,
    caseload_for_clinician,
    caseload_rows_for_couples,
    days_in_program,
)
from couples.queries.consent import (
    DISCLOSURE_LOOKBACK_YEARS,
    NO_ACCESS,
    RECORD_ACCESS_WORDS,
    ConsentOverview,
    ConsentStatus,
    IndividualItemsAccess,
    RecordAccessRow,
    consent_active_for,
    consent_history_for_partner,
    consent_open_for,
    consent_overview_for_partner,
    consent_status_for,
    consent_status_of,
    individual_items_access,
    record_access_list_for_partner,
    record_access_rows,
    years_before,
)
from couples.queries.notifications import (
    notification_get_for_user,
    notification_list_for_user,
    notification_preference_for_user,
    notification_unread_count_for_user,
    notification_unread_count_of,
)
from couples.queries.people import (
    REVISION,
    ROLE_ORDER,
    care_history_for_couple,
    care_team_for_couple,
    care_team_for_partner,
    clinician_get_for_user,
    couple_get_for_user,
    couple_list_for_user,
    couple_partners_load,
    couple_time_zone,
    couple_today,
    is_on_care_team,
    partner_get_for_user,
    partner_list_for_couple,
    revision_of,
)

__all__ = [
    "ROLE_ORDER",
    "revision_of",
    "REVISION",
    "couple_list_for_user",
    "couple_get_for_user",
    "partner_get_for_user",
    "couple_partners_load",
    "clinician_get_for_user",
    "partner_list_for_couple",
    "couple_time_zone",
    "couple_today",
    "is_on_care_team",
    "care_team_for_couple",
    "care_history_for_couple",
    "care_team_for_partner",
    "DISCLOSURE_LOOKBACK_YEARS",
    "years_before",
    "IndividualItemsAccess",
    "NO_ACCESS",
    "individual_items_access",
    "consent_active_for",
    "consent_history_for_partner",
    "consent_open_for",
    "ConsentStatus",
    "consent_status_of",
    "consent_status_for",
    "ConsentOverview",
    "consent_overview_for_partner",
    "record_access_list_for_partner",
    "RECORD_ACCESS_WORDS",
    "RecordAccessRow",
    "record_access_rows",
    "STATUS_ORDER",
    "CASELOAD_SORTS",
    "caseload_for_clinician",
    "days_in_program",
    "CaseloadRow",
    "caseload_couples_for_clinician",
    "caseload_rows_for_couples",
    "notification_list_for_user",
    "notification_unread_count_for_user",
    "notification_unread_count_of",
    "notification_get_for_user",
    "notification_preference_for_user",
]
