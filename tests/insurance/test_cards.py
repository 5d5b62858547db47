import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from insurance import services
from insurance.models import Coverage, CoverageCard, Payer
from insurance.permissions import insurance_staff_group
from tests.auth import sign_in_with_mfa, totp_ensure
from tests.factories import UserFactory

# The smallest valid PNG: one transparent pixel.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture
def coverage(partner_a):
    return Coverage.objects.create(
        partner=partner_a,
        payer=Payer.objects.create(name="Blue Cross PPO"),
        member_id="XJ123456",
        subscriber_name="Jordan Miller",
        effective_on=timezone.localdate() - datetime.timedelta(days=60),
    )


@pytest.fixture
def insurance_staff(db):
    user = UserFactory(is_staff=True)
    user.groups.add(insurance_staff_group())
    totp_ensure(user)
    return user


def _png(name="card.png"):
    return SimpleUploadedFile(name, TINY_PNG, content_type="image/png")


def _card_url(coverage, side="front"):
    return reverse("admin:insurance_coverage_card", args=[coverage.pk, side])


def test_a_png_card_is_stored_privately_and_audited(coverage, staff):
    card = services.coverage_card_upload(coverage=coverage, side="front", file=_png(), by=staff)

    assert (card.side, card.content_type, card.uploaded_by) == ("front", "image/png", staff)
    assert card.image.storage is storages["private"]
    assert card.image.read() == TINY_PNG
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, target_id=str(card.pk))
    assert event.patient == coverage.partner


def test_an_oversized_card_is_refused_and_nothing_saved(coverage, staff):
    big = SimpleUploadedFile("card.png", TINY_PNG + b"\0" * (5 * 1024 * 1024), "image/png")

    with pytest.raises(ValidationError) as error:
        services.coverage_card_upload(coverage=coverage, side="front", file=big, by=staff)

    assert "the limit is 5 MB" in error.value.message_dict["file"][0]
    assert not CoverageCard.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(coverage, staff):
    fake = SimpleUploadedFile("card.png", b"%PDF-1.7 not a picture", content_type="image/png")

    with pytest.raises(ValidationError) as error:
        services.coverage_card_upload(coverage=coverage, side="back", file=fake, by=staff)

    assert error.value.message_dict["file"] == [
        "Upload a photo of the card as a JPEG, PNG or WebP image."
    ]
    assert not CoverageCard.objects.exists()


def test_uploading_a_side_again_replaces_it(coverage, staff):
    first = services.coverage_card_upload(coverage=coverage, side="front", file=_png(), by=staff)
    second = services.coverage_card_upload(coverage=coverage, side="front", file=_png(), by=staff)

    assert first.pk == second.pk
    assert CoverageCard.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, target_id=str(first.pk))


def test_insurance_staff_see_the_card_with_no_caching_and_it_is_audited(
    client, coverage, insurance_staff, staff
):
    services.coverage_card_upload(coverage=coverage, side="front", file=_png(), by=staff)
    sign_in_with_mfa(client, insurance_staff)

    response = client.get(_card_url(coverage))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == TINY_PNG
    event = AuditEvent.objects.get(action=AuditEvent.Action.READ, actor=insurance_staff)
    assert event.patient == coverage.partner


def test_the_card_is_not_found_without_permission(client, coverage, staff):
    services.coverage_card_upload(coverage=coverage, side="front", file=_png(), by=staff)
    no_permission = UserFactory(is_staff=True)
    sign_in_with_mfa(client, no_permission)

    assert client.get(_card_url(coverage)).status_code == 404


def test_the_card_is_not_found_for_anonymous_visitors(client, coverage, staff):
    services.coverage_card_upload(coverage=coverage, side="front", file=_png(), by=staff)

    assert client.get(_card_url(coverage)).status_code == 404


def test_the_card_is_not_found_for_a_partner(client, coverage, staff):
    services.coverage_card_upload(coverage=coverage, side="front", file=_png(), by=staff)
    client.force_login(coverage.partner.user)

    assert client.get(_card_url(coverage)).status_code == 404


def test_a_side_with_no_card_is_not_found(client, coverage, insurance_staff):
    sign_in_with_mfa(client, insurance_staff)

    assert client.get(_card_url(coverage, "back")).status_code == 404


def test_the_coverage_page_uploads_a_card_through_the_service(client, coverage, insurance_staff):
    sign_in_with_mfa(client, insurance_staff)
    url = reverse("admin:insurance_coverage_change", args=[coverage.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = _change_form_data(page)

    data["card_front"] = SimpleUploadedFile("card.txt", b"hello", content_type="image/png")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "JPEG, PNG or WebP" in response.content.decode()
    assert not CoverageCard.objects.exists()

    data["card_front"] = _png()
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    card = CoverageCard.objects.get()
    assert (card.coverage, card.side, card.uploaded_by) == (coverage, "front", insurance_staff)


def _change_form_data(page) -> dict:
    """The admin change form's current values, inlines' management forms included."""
    data = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or isinstance(field.widget, type(form.fields["card_front"].widget)):
            continue
        data[name] = field.prepare_value(value) if hasattr(field, "prepare_value") else value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, "")
    return {k: ("" if v is None else v) for k, v in data.items()}
