"""Every denial is audited (issue 17, finding 4): 403s, refused second-factor codes and
lockouts, and each admin list view that shows patients."""

import logging

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from insurance.models import Coverage, Payer
from tests.auth import sign_in_with_mfa
from tests.factories import PASSWORD


def test_a_403_is_audited_and_logged_in_one_line(client, clinician, caplog):
    sign_in_with_mfa(client, clinician.user)

    with caplog.at_level(logging.WARNING):
        response = client.post("/portal/checkin/", {"is_sober": "yes"})

    assert response.status_code == 403
    event = AuditEvent.objects.get(allowed=False)
    assert event.actor == clinician.user
    assert event.detail == {"status": 403, "method": "POST", "path": "/portal/checkin/"}
    assert not [record for record in caplog.records if record.exc_info]
    assert any("403 POST /portal/checkin/" in record.getMessage() for record in caplog.records)


def test_a_refused_code_is_audited(client, clinician):
    TOTP.activate(clinician.user, generate_totp_secret())
    client.post(reverse("account_login"), {"login": clinician.user.email, "password": PASSWORD})

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})

    assert response.status_code == 200  # the form again, with its error
    event = AuditEvent.objects.get(action=AuditEvent.Action.SECOND_FACTOR_FAILED)
    assert event.actor == clinician.user and not event.allowed
    assert event.detail == {"authenticator": "totp", "reauthentication": False}


def test_the_second_factor_lockout_is_audited(client, clinician, settings):
    TOTP.activate(clinician.user, generate_totp_secret())
    client.post(reverse("account_login"), {"login": clinician.user.email, "password": PASSWORD})

    for _ in range(12):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})

    locked = AuditEvent.objects.filter(
        action=AuditEvent.Action.SECOND_FACTOR_FAILED, detail__locked=True
    )
    assert locked.exists()
    assert locked.first().detail["path"] == reverse("mfa_authenticate")


def test_an_admin_list_of_patients_is_audited_with_its_search(client, staff, partner_a):
    Coverage.objects.create(
        partner=partner_a,
        payer=Payer.objects.create(name="Aetna PPO"),
        member_id="W1",
        subscriber_name="Jordan",
        effective_on=timezone.localdate(),
    )
    sign_in_with_mfa(client, staff)

    for path in [
        "/admin/insurance/coverage/?q=Jordan&status__exact=pending",
        "/admin/couples/partner/",
        "/admin/couples/user/?q=taylor",
    ]:
        assert client.get(path).status_code == 200

    lists = AuditEvent.objects.filter(detail__via="admin list").order_by("pk")
    assert [event.detail["list"] for event in lists] == [
        "insurance.Coverage",
        "couples.Partner",
        "couples.User",
    ]
    assert lists[0].detail["search"] == "Jordan"
    assert lists[0].detail["filters"] == {"status__exact": "pending"}
    assert lists[2].detail["search"] == "taylor"
