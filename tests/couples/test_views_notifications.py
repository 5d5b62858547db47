"""Everyone's notifications: the list, opening one, marking all read, the top bar's badge
and the preferences page."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from couples.models import Notification, NotificationPreference
from tests.auth import sign_in_with_mfa
from tests.factories import NotificationFactory, PartnerFactory

pytestmark = pytest.mark.timeshift

LIST = "/notifications/"
READ_ALL = "/notifications/read/"
PREFERENCES = "/notifications/preferences/"
CHICAGO = ZoneInfo("America/Chicago")


def open_url(notification) -> str:
    return f"/notifications/{notification.pk}/open/"


def sign_in_with_totp(client, user):
    """Clinicians and staff reach their notifications only after a second factor."""
    sign_in_with_mfa(client, user)


def text_of(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", body.replace("&amp;", "&").replace("&#x27;", "'"))


def sent(user, **fields) -> Notification:
    return NotificationFactory(recipient=user, **fields)


@pytest.fixture
def jordan(client, partner_a, partner_b):
    """Jordan (partner A, living in Chicago) signed in."""
    partner_a.couple.time_zone = "America/Chicago"
    partner_a.couple.save()
    client.force_login(partner_a.user)
    return client


@pytest.fixture
def maya_client(client, clinician):
    sign_in_with_totp(client, clinician.user)
    return client


# The list


# Read the next morning (Wednesday 2 December 2026, 08:00 in Chicago), after both were sent.
@pytest.mark.time_machine(datetime.datetime(2026, 12, 2, 14, 0, tzinfo=datetime.UTC))
def test_the_list_shows_my_delivered_notifications_newest_first_in_my_time_zone(jordan, partner_a):
    noon_utc = datetime.datetime(2026, 12, 1, 18, 0, tzinfo=datetime.UTC)
    sent(partner_a.user, subject="Session reminder: older", sent_at=noon_utc)
    sent(partner_a.user, subject="Session moved", sent_at=noon_utc + datetime.timedelta(hours=2))

    response = jordan.get(LIST)

    page = text_of(response)
    assert response.status_code == 200
    assert page.index("Session moved") < page.index("Session reminder: older")
    assert "yesterday at 12:00 PM" in page  # 18:00 UTC in Chicago
    assert "times in Central Time (CT)" in page
    assert 'title="Tuesday, December 1 at 12:00 PM CT"' in response.text


def test_the_list_leaves_out_what_did_not_reach_me_in_the_app(jordan, partner_a, partner_b):
    sent(partner_a.user, subject="Mine in the app")
    sent(partner_a.user, subject="Email only", in_app=False)
    sent(partner_a.user, subject="Still queued", status="queued", sent_at=None, in_app=False)
    sent(partner_a.user, subject="Withdrawn", status="withdrawn", sent_at=None)
    sent(partner_b.user, subject="Alex's own")

    page = text_of(jordan.get(LIST))

    assert "Mine in the app" in page
    for other in ["Email only", "Still queued", "Withdrawn", "Alex's own"]:
        assert other not in page


def test_unread_notifications_are_marked_for_eyes_and_screen_readers(jordan, partner_a):
    sent(partner_a.user, subject="Not read yet")
    sent(partner_a.user, subject="Seen already", read_at=timezone.now())

    response = jordan.get(LIST)

    assert response.text.count("is-unread") == 1
    assert "Unread: Not read yet" in text_of(response)
    assert "Unread: Seen already" not in text_of(response)
    assert "1 unread." in text_of(response)
    assert "Mark all read" in response.text


def test_the_list_shows_twenty_a_page(jordan, partner_a):
    for _ in range(25):
        sent(partner_a.user)

    first, second = jordan.get(LIST), jordan.get(LIST, {"page": 2})

    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 of 2" in text_of(second)


@pytest.mark.parametrize("page", ["nonsense", "0", "99"])
def test_an_unreadable_page_number_shows_a_real_page(jordan, partner_a, page):
    for _ in range(25):
        sent(partner_a.user)

    response = jordan.get(LIST, {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number in (1, 2)


def test_with_nothing_delivered_the_list_says_so(jordan):
    response = jordan.get(LIST)

    assert "No notifications yet." in text_of(response)
    assert "Mark all read" not in response.text


@pytest.mark.parametrize("size", [2, 30])
def test_the_list_uses_the_same_number_of_queries_for_any_number_of_notifications(
    jordan, partner_a, size, django_assert_max_num_queries
):
    for _ in range(size):
        sent(partner_a.user)
    jordan.get(LIST)  # the first request stamps the session

    # session, user with roles, the unread count (the top bar's, which the page shows too);
    # the page's count, one page of notifications, my preferences, my couple's time zone
    with django_assert_max_num_queries(7):
        response = jordan.get(LIST)

    assert len(response.context["page"].object_list) == min(size, 20)


def test_clinicians_and_staff_have_their_own_list(client, clinician, staff, partner_a):
    sent(clinician.user, subject="Session reminder for Maya")
    sent(partner_a.user, subject="Jordan's reminder")

    sign_in_with_totp(client, clinician.user)
    page = text_of(client.get(LIST))
    sign_in_with_totp(client, staff)
    staff_page = text_of(client.get(LIST))

    assert "Session reminder for Maya" in page and "Jordan's reminder" not in page
    assert "No notifications yet." in staff_page


def test_a_clinician_without_two_factor_is_refused_until_an_invitation_lets_them_set_it_up(
    client, clinician
):
    client.force_login(clinician.user)

    assert client.get(LIST).status_code == 403
    clinician.user.second_factor_setup_until = timezone.now() + datetime.timedelta(hours=1)
    clinician.user.save()
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_signing_in_comes_first(client, db):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# Opening one


def test_opening_marks_it_read_and_follows_its_link(jordan, partner_a):
    notification = sent(partner_a.user, link="/portal/sessions/7/respond/?answer=confirmed")

    response = jordan.post(open_url(notification))

    assert response.status_code == 302
    assert response["Location"] == "/portal/sessions/7/respond/?answer=confirmed"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_an_already_read_one_keeps_when_it_was_first_read(jordan, partner_a):
    first_read = timezone.now() - datetime.timedelta(days=1)
    notification = sent(partner_a.user, read_at=first_read)

    jordan.post(open_url(notification))

    notification.refresh_from_db()
    assert notification.read_at == first_read


@pytest.mark.parametrize(
    "link",
    [
        "",
        "https://evil.example/phish",
        "//evil.example/x",
        "javascript:alert(1)",
        "/\\evil.example",
    ],
)
def test_a_link_that_is_not_a_path_on_this_site_falls_back_to_the_list(jordan, partner_a, link):
    notification = sent(partner_a.user, link=link)

    response = jordan.post(open_url(notification))

    assert response["Location"] == LIST


def test_opening_is_post_only(jordan, partner_a):
    notification = sent(partner_a.user)

    assert jordan.get(open_url(notification)).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.parametrize("whose", ["partner_b", "outsider"])
def test_someone_elses_notification_is_an_audited_404_and_stays_unread(
    jordan, request, partner_a, whose
):
    notification = sent(request.getfixturevalue(whose).user)

    response = jordan.post(open_url(notification))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    refusal = AuditEvent.objects.get(actor=partner_a.user, allowed=False)
    assert refusal.detail == {
        "target_type": "couples.Notification",
        "target_id": str(notification.pk),
    }


@pytest.mark.parametrize(
    "fields", [{"in_app": False}, {"status": "queued", "sent_at": None, "in_app": False}]
)
def test_my_notification_that_never_reached_the_app_cannot_be_opened(jordan, partner_a, fields):
    notification = sent(partner_a.user, **fields)

    assert jordan.post(open_url(notification)).status_code == 404


# Mark all read


def test_mark_all_read_marks_only_mine(jordan, partner_a, partner_b):
    mine = [sent(partner_a.user), sent(partner_a.user)]
    theirs = sent(partner_b.user)

    response = jordan.post(READ_ALL, follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "All your notifications are marked read." in text_of(response)
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_with_nothing_unread_says_so(jordan):
    response = jordan.post(READ_ALL, follow=True)

    assert "You had no unread notifications." in text_of(response)


def test_mark_all_read_is_post_only(jordan, partner_a):
    sent(partner_a.user)

    assert jordan.get(READ_ALL).status_code == 405
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


# The badge in the top bar


def test_the_badge_counts_my_unread_in_app_notifications_with_a_spoken_label(
    jordan, partner_a, partner_b
):
    for _ in range(3):
        sent(partner_a.user)
    sent(partner_a.user, read_at=timezone.now())
    sent(partner_a.user, in_app=False)  # email only, while the app channel was off
    sent(partner_b.user)

    response = jordan.get("/portal/")

    assert response.context["notification_badge"].count == 3
    assert '<span class="visually-hidden">3 unread notifications</span>' in response.text
    assert 'aria-hidden="true">3</span>' in response.text


def test_the_badge_speaks_one_in_the_singular_and_caps_what_it_shows(jordan, partner_a):
    sent(partner_a.user)
    assert "1 unread notification<" in jordan.get("/portal/").text

    for _ in range(100):
        sent(partner_a.user)
    response = jordan.get("/portal/")
    assert 'aria-hidden="true">99+</span>' in response.text
    assert "101 unread notifications" in response.text


def test_with_nothing_unread_the_bar_still_links_to_the_list(jordan):
    response = jordan.get("/portal/")

    assert 'href="/notifications/"' in response.text
    assert "Notifications, none unread" in response.text
    assert "text-bg-warning" not in response.text


def test_a_clinician_sees_the_badge_on_clinic_pages(maya_client, clinician):
    sent(clinician.user)

    assert "1 unread notification<" in maya_client.get("/clinic/").text


def test_signed_out_pages_have_no_badge(client, db):
    response = client.get("/accounts/login/")

    assert response.context["notification_badge"] is None
    assert 'href="/notifications/"' not in response.text


# Preferences


def form_of(**changes) -> dict:
    """The partner's form as the browser posts it, with every default; a checkbox left
    unticked is simply absent."""
    values = {
        "email_enabled": "on",
        "in_app_enabled": "on",
        "quiet_hours_start": "",
        "quiet_hours_end": "",
        "time_zone": "",
        "checkin_prompts": "on",
        "checkin_prompt_time": "20:00",
        "goal_review_prompts": "on",
        "session_reminders": "on",
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def test_a_partner_is_offered_the_partner_settings_with_defaults_shown(jordan):
    response = jordan.get(PREFERENCES)

    form = response.context["form"]
    assert list(form.fields) == [
        "email_enabled",
        "in_app_enabled",
        "quiet_hours_start",
        "quiet_hours_end",
        "time_zone",
        "checkin_prompts",
        "checkin_prompt_time",
        "goal_review_prompts",
        "session_reminders",
    ]
    assert form["session_reminders"].value() is True  # partners get them unless they opt out
    assert '<option value="" selected>Same as my couple’s (Central Time (CT))</option>' in (
        response.text
    )
    assert 'value="20:00"' in response.text
    assert "On unless you change it." in response.text


def test_a_clinician_is_offered_reminders_off_and_the_morning_digest(maya_client):
    response = maya_client.get(PREFERENCES)

    form = response.context["form"]
    assert "checkin_prompts" not in form.fields and "goal_review_prompts" not in form.fields
    assert {"session_reminders", "morning_digest", "digest_time"} <= set(form.fields)
    assert form["session_reminders"].value() is False
    assert "Same as the clinic’s (Eastern Time (ET))" in response.text
    assert "Off unless you change it." in response.text


def test_staff_get_only_the_channels_quiet_hours_and_time_zone(client, staff):
    sign_in_with_totp(client, staff)

    form = client.get(PREFERENCES).context["form"]

    assert list(form.fields) == [
        "email_enabled",
        "in_app_enabled",
        "quiet_hours_start",
        "quiet_hours_end",
        "time_zone",
    ]


def test_the_first_save_creates_my_preferences_and_audits_it(jordan, partner_a):
    response = jordan.post(
        PREFERENCES,
        form_of(
            email_enabled=None,
            quiet_hours_start="22:00",
            quiet_hours_end="07:00",
            time_zone="Europe/Lisbon",
            checkin_prompt_time="19:30",
            goal_review_prompts=None,
        ),
        follow=True,
    )

    assert response.redirect_chain == [(PREFERENCES, 302)]
    assert "Your notification preferences are saved." in text_of(response)
    preference = NotificationPreference.objects.get(user=partner_a.user)
    assert (preference.email_enabled, preference.in_app_enabled) == (False, True)
    assert (preference.quiet_hours_start, preference.quiet_hours_end) == (
        datetime.time(22),
        datetime.time(7),
    )
    assert preference.time_zone == "Europe/Lisbon"
    assert preference.checkin_prompt_time == datetime.time(19, 30)
    assert preference.goal_review_prompts is False
    assert preference.session_reminders is None  # left at the partner default
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, actor=partner_a.user)
    assert event.target_type == "couples.NotificationPreference"
    assert event.detail["changed"]["quiet_hours_start"] == "22:00"


def saved_preference(user, **fields) -> NotificationPreference:
    return NotificationPreference.objects.create(user=user, **fields)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"email_enabled": None, "in_app_enabled": None},
            "Keep at least one way to reach you: email or the app.",
        ),
        ({"quiet_hours_start": "22:00"}, "Give quiet hours a start and an end, or neither."),
        (
            {"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"},
            "Quiet hours need an end that differs from their start.",
        ),
        (
            {"quiet_hours_start": "19:00", "quiet_hours_end": "07:00"},
            "8:00 PM is inside your quiet hours (7:00 PM–7:00 AM), so the prompt would never come "
            "on time. Choose a time outside them, or change the quiet hours.",
        ),
        ({"time_zone": "Mars/Olympus_Mons"}, "Select a valid choice."),
        ({"checkin_prompt_time": "8 in the evening"}, "Enter a valid time."),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(jordan, partner_a, changes, message):
    preference = saved_preference(partner_a.user, goal_review_prompts=False)
    audit_rows = AuditEvent.objects.count()

    response = jordan.post(PREFERENCES, form_of(goal_review_prompts="on", **changes))

    assert response.status_code == 200
    assert message in text_of(response)
    refreshed = NotificationPreference.objects.get(pk=preference.pk)
    assert refreshed.goal_review_prompts is False
    assert refreshed.email_enabled and refreshed.in_app_enabled
    assert refreshed.quiet_hours_start is None
    assert AuditEvent.objects.count() == audit_rows


def test_bad_input_on_a_first_save_creates_no_row(jordan, partner_a):
    jordan.post(PREFERENCES, form_of(email_enabled=None, in_app_enabled=None))

    assert not NotificationPreference.objects.exists()


def test_a_check_in_prompt_in_the_quiet_hours_is_fine_when_the_prompts_are_off(jordan, partner_a):
    response = jordan.post(
        PREFERENCES,
        form_of(checkin_prompts=None, quiet_hours_start="19:00", quiet_hours_end="07:00"),
    )

    assert response.status_code == 302
    assert NotificationPreference.objects.get().quiet_hours_start == datetime.time(19)


def test_a_partner_turning_reminders_off_and_on_again_goes_back_to_the_default(jordan, partner_a):
    jordan.post(PREFERENCES, form_of(session_reminders=None))
    assert NotificationPreference.objects.get().session_reminders is False

    jordan.post(PREFERENCES, form_of())
    assert NotificationPreference.objects.get().session_reminders is None


def test_a_clinician_opts_in_to_session_reminders_and_cannot_reach_partner_settings(
    maya_client, clinician
):
    response = maya_client.post(
        PREFERENCES,
        {
            "email_enabled": "on",
            "in_app_enabled": "on",
            "session_reminders": "on",
            "morning_digest": "on",
            "digest_time": "06:30",
            # Crafted: not offered to clinicians, so ignored.
            "checkin_prompt_time": "03:00",
            "goal_review_prompts": "",
        },
    )

    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=clinician.user)
    assert preference.session_reminders is True
    assert preference.digest_time == datetime.time(6, 30)
    assert preference.checkin_prompt_time == datetime.time(20)
    assert preference.goal_review_prompts is True


def test_saved_choices_are_shown_when_the_page_opens_again(jordan, partner_a):
    saved_preference(
        partner_a.user,
        quiet_hours_start=datetime.time(22),
        quiet_hours_end=datetime.time(7),
        time_zone="Europe/Lisbon",
        session_reminders=False,
    )

    response = jordan.get(PREFERENCES)

    assert 'value="22:00"' in response.text and 'value="07:00"' in response.text
    assert '<option value="Europe/Lisbon" selected>' in response.text
    assert response.context["form"]["session_reminders"].value() is False


@pytest.mark.parametrize("size", [2, 30])
def test_the_preferences_page_uses_the_same_number_of_queries_for_any_number_of_notifications(
    jordan, partner_a, size, django_assert_max_num_queries
):
    for _ in range(size):
        sent(partner_a.user)
    saved_preference(partner_a.user)
    jordan.get(PREFERENCES)  # the first request stamps the session

    # session, user with roles, my preferences, my couple's time zone (the empty choice's
    # name), the top bar's unread notifications
    with django_assert_max_num_queries(5):
        assert jordan.get(PREFERENCES).status_code == 200


def test_the_preferences_page_needs_sign_in(client, db):
    assert client.get(PREFERENCES)["Location"].startswith("/accounts/login/")


def test_an_outsider_never_sees_or_changes_someone_elses_preferences(client, partner_a):
    """There is no pk in the address: every person reaches only their own row."""
    theirs = saved_preference(partner_a.user)
    other = PartnerFactory()
    client.force_login(other.user)

    client.post(PREFERENCES, form_of(goal_review_prompts=None, user=str(partner_a.user.pk)))

    assert NotificationPreference.objects.get(pk=theirs.pk).goal_review_prompts is True
    assert NotificationPreference.objects.get(user=other.user).goal_review_prompts is False


def test_the_time_zone_list_is_made_of_real_zones(jordan):
    choices = jordan.get(PREFERENCES).context["form"].fields["time_zone"].choices
    names = [name for _group, options in choices[1:] for name, _label in options]

    assert "America/Chicago" in names and "Asia/Tokyo" in names
    assert all(ZoneInfo(name) for name in names)


def test_the_time_zone_list_offers_the_clinics_zones_first_by_name(jordan):
    response = jordan.get(PREFERENCES)

    page = response.content.decode()
    assert '<optgroup label="Common">' in page
    assert '<option value="America/Chicago">Central Time (CT)</option>' in page
    assert '<option value="Europe/London">London</option>' in page
    assert page.index("Hawaii Time (HT)") < page.index('<optgroup label="Africa">')
