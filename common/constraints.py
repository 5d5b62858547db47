"""Check constraints that `full_clean()` checks in Python, and the database checks again.

Django validates a `CheckConstraint` by asking the database: one `SELECT` per constraint per
`full_clean()`. A model with 15 constraints paid 15 queries for every save through a service,
and most of the suite's time went there (seeding the demo spent 30 of its 49 s in
`validate_constraints`). Our conditions are small: field against value or field, `IS NULL`,
`IN`, a length, a trimmed length, a date plus an interval. `CheckConstraint` here evaluates
those in Python with the database's three-valued logic (a comparison with NULL is unknown, and
a CHECK passes when its condition is unknown) and asks the database only for a condition it
cannot evaluate (a join, a function it does not know): the answer is the same either way, and
`tests/common/test_constraints.py` compares the two on every constraint of every model.

Its `deconstruct()` gives Django's own path, so migrations see an ordinary `CheckConstraint`
and none is written for the change.
"""

import operator

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models.expressions import CombinedExpression, F, Value
from django.db.models.functions import Length, Trim
from django.db.models.lookups import Lookup

_COMPARE = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_COMBINE = {"+": operator.add, "-": operator.sub}
_LOOKUPS = {*_COMPARE, "in", "isnull"}


class Undecidable(Exception):
    """The condition holds something this module does not evaluate: ask the database."""


def field_values(instance: models.Model) -> dict:
    """The instance's own columns by field name and attname (a foreign key is its id)."""
    values = {}
    for field in instance._meta.local_concrete_fields:
        value = getattr(instance, field.attname)
        values[field.name] = value
        values[field.attname] = value
    values["pk"] = instance.pk
    return values


def holds(condition, values: dict) -> bool | None:
    """True, False, or None when SQL would say unknown (a comparison with NULL)."""
    if isinstance(condition, models.Q):
        return _q(condition, values)
    if isinstance(condition, Lookup):
        left, right = _value(condition.lhs, values), _value(condition.rhs, values)
        return _compare(condition.lookup_name, left, right)
    raise Undecidable(condition)


def _q(q: models.Q, values: dict) -> bool | None:
    results = []
    for child in q.children:
        if isinstance(child, tuple):
            results.append(_lookup(*child, values=values))
        else:
            results.append(holds(child, values))
    if q.connector == models.Q.AND:
        result = False if False in results else (None if None in results else True)
    elif q.connector == models.Q.OR:
        result = True if True in results else (None if None in results else False)
    else:
        raise Undecidable(q)
    if q.negated and result is not None:
        return not result
    return result


def _lookup(path: str, rhs, *, values: dict) -> bool | None:
    name, _, lookup = path.partition("__")
    lookup = lookup or "exact"
    if name not in values or lookup not in _LOOKUPS:
        raise Undecidable(path)
    if lookup == "exact" and rhs is None:
        lookup, rhs = "isnull", True
    return _compare(lookup, values[name], _value(rhs, values))


def _value(expression, values: dict):
    if isinstance(expression, F):
        if expression.name not in values:
            raise Undecidable(expression)
        return values[expression.name]
    if isinstance(expression, Value):
        return expression.value
    if isinstance(expression, Length | Trim):
        (source,) = expression.get_source_expressions()
        text = _value(source, values)
        if text is None:
            return None
        # SQL's TRIM takes spaces only, not every kind of whitespace.
        return len(text) if isinstance(expression, Length) else text.strip(" ")
    if isinstance(expression, CombinedExpression):
        combine = _COMBINE.get(expression.connector)
        left, right = _value(expression.lhs, values), _value(expression.rhs, values)
        if combine is None:
            raise Undecidable(expression)
        return None if left is None or right is None else combine(left, right)
    if hasattr(expression, "resolve_expression"):
        raise Undecidable(expression)
    return expression


def _compare(lookup: str, left, right) -> bool | None:
    if lookup not in _LOOKUPS:
        raise Undecidable(lookup)
    if lookup == "isnull":
        return (left is None) == bool(right)
    if left is None:
        return None
    try:
        if lookup == "in":
            return left in right
        if right is None:
            return None
        return _COMPARE[lookup](left, right)
    except TypeError as error:
        # A value the form has not cleaned yet (text where a number belongs): the database
        # would cast it; let it.
        raise Undecidable(lookup) from error


class CheckConstraint(models.CheckConstraint):
    """Django's CheckConstraint, validated in Python where it can be (see the module's text)."""

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if exclude and self._expression_refs_exclude(model, self.condition, exclude):
            return
        try:
            result = holds(self.condition, field_values(instance))
        except Undecidable:
            return super().validate(model, instance, exclude=exclude, using=using)
        if result is False:
            raise ValidationError(
                self.get_violation_error_message(), code=self.violation_error_code
            )

    def deconstruct(self):
        _, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs
