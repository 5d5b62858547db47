from django.db import migrations, models

# Several chains instead of one (see audit/models.py). The events written so far were one
# chain, whose head was row 1: they become chain 1, and heads 2..16 start empty. Adding the
# column with a default writes no row, so the append-only trigger has nothing to refuse.

CHAINS = 16


def content_types_move(apps, schema_editor):
    """Permissions on the audit log keep working: the content types that said couples now
    say audit, and grants made on either end up on audit's permissions."""
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    for model in ("auditevent", "auditchainhead"):
        old = content_type.objects.filter(app_label="couples", model=model).first()
        if old is None:
            continue
        new = content_type.objects.filter(app_label="audit", model=model).first()
        if new is None:
            old.app_label = "audit"
            old.save(update_fields=["app_label"])
            continue
        for granted in permission.objects.filter(content_type=old):
            same = permission.objects.filter(content_type=new, codename=granted.codename).first()
            if same is None:
                granted.content_type = new
                granted.save(update_fields=["content_type"])
                continue
            same.group_set.add(*granted.group_set.all())
            same.user_set.add(*granted.user_set.all())
            granted.delete()
        old.delete()


def heads_create(apps, schema_editor):
    head = apps.get_model("audit", "AuditChainHead")
    for number in range(1, CHAINS + 1):
        head.objects.get_or_create(pk=number, defaults={"seq": 0, "hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["-at", "-id"]}),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(default=1, editable=False),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(
                editable=False, help_text="Its place in its chain."
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "seq"), name="audit_event_one_per_place"
            ),
        ),
        migrations.RunPython(content_types_move, migrations.RunPython.noop),
        migrations.RunPython(heads_create, migrations.RunPython.noop),
    ]
