from django.db import migrations

GROUP = "Insurance staff"
# Insurance records, and only the minimum of a partner's identity needed to verify
# coverage (seeing who a coverage belongs to). No goals, check-ins or sessions.
PERMISSIONS = [
    ("insurance", "payer", ["view", "add", "change"]),
    ("insurance", "coverage", ["view", "add", "change"]),
    ("insurance", "benefit", ["view", "add", "change"]),
    ("insurance", "authorization", ["view", "add", "change"]),
    ("insurance", "coveragestatuschange", ["view"]),
]


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrations; this one needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, model, actions in PERMISSIONS:
        codenames = [f"{action}_{model}" for action in actions]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("insurance", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
