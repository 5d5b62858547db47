"""common.constraints: the Python check agrees with the database on every constraint.

The rows are the demo clinic's, then each row again with every text column made too long or
blank, every nullable column emptied and every date moved a century: for each constraint of
every model, Python's answer (unknown counting as a pass, as the database counts it) must be
the database's.
"""

import copy
import datetime
import itertools

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from common.constraints import CheckConstraint, Undecidable, field_values, holds
from couples.models import SharingConsent

pytestmark = pytest.mark.django_db
ROWS_PER_MODEL = 2


def _ours(model) -> list[CheckConstraint]:
    return [c for c in model._meta.constraints if isinstance(c, CheckConstraint)]


def _mutations(row: models.Model):
    yield row
    for field in row._meta.local_concrete_fields:
        if field.primary_key:
            continue
        changes = []
        if field.null:
            changes.append(None)
        if isinstance(field, models.CharField | models.TextField):
            changes += ["", "   ", "x" * ((field.max_length or 5000) + 1)]
        if isinstance(field, models.DateTimeField):
            changes.append(
                getattr(row, field.attname) and getattr(row, field.attname).replace(year=1925)
            )
        elif isinstance(field, models.DateField):
            changes.append(getattr(row, field.attname) and datetime.date(2125, 1, 1))
        if isinstance(field, models.BooleanField):
            changes.append(not getattr(row, field.attname))
        if isinstance(field, models.IntegerField):
            changes += [0, 9999]
        for value in changes:
            changed = copy.copy(row)
            setattr(changed, field.attname, value)
            yield changed


def _database_says(constraint, model, row) -> bool:
    try:
        super(CheckConstraint, constraint).validate(model, row)
    except ValidationError:
        return False
    return True


def test_python_and_the_database_agree_on_every_constraint_of_every_model(demo_seeded_once, db):
    decided, compared = set(), 0
    for model in apps.get_models():
        constraints = _ours(model)
        if not constraints:
            continue
        for row in model.objects.all()[:ROWS_PER_MODEL]:
            for candidate, constraint in itertools.product(_mutations(row), constraints):
                try:
                    python = holds(constraint.condition, field_values(candidate)) is not False
                except Undecidable:
                    continue
                decided.add(constraint.name)
                compared += 1
                assert python == _database_says(constraint, model, candidate), (
                    constraint.name,
                    {f.attname: getattr(candidate, f.attname) for f in model._meta.fields},
                )
    everything = {c.name for m in apps.get_models() for c in _ours(m)}
    # Every constraint the demo has rows for was decided in Python at least once.
    assert compared > 3000
    assert len(decided) >= 0.8 * len(everything), sorted(everything - decided)


def test_a_violated_constraint_says_its_message_without_a_query(db, django_assert_num_queries):
    consent = SharingConsent(
        partner_id=1, recipient_id=1, shares_goals=False, shares_checkins=False
    )
    messages = []
    with django_assert_num_queries(0):
        for constraint in _ours(SharingConsent):
            try:
                constraint.validate(SharingConsent, consent)
            except ValidationError as error:
                messages += error.messages
    assert "A partner cannot grant consent to themselves." in messages
    assert "Choose at least one thing to share." in messages


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        (Q(a__gte=1), {"a": None}, None),
        (~Q(a__gte=1), {"a": None}, None),
        (Q(a__gte=1) | Q(b=True), {"a": None, "b": True}, True),
        (Q(a__gte=1) & Q(b=True), {"a": None, "b": False}, False),
        (Q(a=None), {"a": None}, True),
        (Q(a__isnull=False), {"a": None}, False),
        (Q(a__in=["x", "y"]), {"a": "y"}, True),
        (Q(a__lte=models.F("b") + datetime.timedelta(days=1)), {"a": 3, "b": None}, None),
        (GreaterThan(Length(Trim("a")), 0), {"a": "  \t "}, True),
        (GreaterThan(Length(Trim("a")), 0), {"a": "   "}, False),
        (LessThanOrEqual(Length("a"), 3), {"a": "abcd"}, False),
    ],
)
def test_three_valued_logic_as_sql_has_it(condition, values, expected):
    assert holds(condition, values) is expected


@pytest.mark.parametrize(
    "condition",
    [Q(couple__name="x"), Q(a__icontains="x"), Q(a__startswith="x")],
)
def test_what_it_cannot_evaluate_goes_to_the_database(condition):
    with pytest.raises(Undecidable):
        holds(condition, {"a": "x", "b": ["x"], "couple": 1})


def test_migrations_see_djangos_own_check_constraint():
    constraint = CheckConstraint(condition=Q(a__gte=0), name="a_positive")
    path, _, kwargs = constraint.deconstruct()
    assert path == "django.db.models.CheckConstraint"
    assert kwargs["name"] == "a_positive"
