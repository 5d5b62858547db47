from django.contrib.auth.models import Group, Permission

INSURANCE_STAFF = "Insurance staff"
# Insurance records, and only the minimum of a partner's identity needed to verify
# coverage (who a coverage belongs to). No goals, check-ins or sessions.
INSURANCE_STAFF_PERMISSIONS = {
    "payer": ["view", "add", "change"],
    "coverage": ["view", "add", "change"],
    "benefit": ["view", "add", "change"],
    "authorization": ["view", "add", "change"],
    "coveragestatuschange": ["view"],
}


def insurance_staff_group() -> Group:
    """The Insurance staff group with its permissions, created if missing (a data migration
    creates it; a database flushed by tests or restored without it gets it back here)."""
    group, _ = Group.objects.get_or_create(name=INSURANCE_STAFF)
    codenames = [
        f"{action}_{model}"
        for model, actions in INSURANCE_STAFF_PERMISSIONS.items()
        for action in actions
    ]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="insurance", codename__in=codenames)
    )
    return group
