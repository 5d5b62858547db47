import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The audit log's tables as the couples app created them (couples 0001-0003, its trigger in
# couples 0002), taken over by this app without touching the database.

ACTIONS = [
    ("read", "Read"),
    ("create", "Create"),
    ("update", "Update"),
    ("delete", "Delete"),
    ("export", "Export"),
    ("login", "Signed in"),
    ("login_failed", "Sign-in failed"),
    ("login_locked", "Sign-in locked (too many failures)"),
    ("logout", "Signed out"),
    ("session_timeout", "Signed out by timeout"),
    ("disclose", "Disclosed under consent"),
    ("invite", "Invitation sent"),
    ("invitation_accepted", "Invitation accepted"),
    ("deactivate", "Deactivated"),
]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("couples", "0007_audit_moves_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="AuditChainHead",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("seq", models.PositiveBigIntegerField(default=0)),
                        ("hash", models.CharField(default="0" * 64, max_length=64)),
                    ],
                    options={"db_table": "couples_auditchainhead"},
                ),
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("seq", models.PositiveBigIntegerField(editable=False, unique=True)),
                        ("at", models.DateTimeField(editable=False)),
                        ("actor_label", models.CharField(blank=True, max_length=254)),
                        ("action", models.CharField(choices=ACTIONS, max_length=30)),
                        ("target_type", models.CharField(blank=True, max_length=100)),
                        ("target_id", models.CharField(blank=True, max_length=64)),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                        ("allowed", models.BooleanField(default=True)),
                        ("detail", models.JSONField(blank=True, default=dict)),
                        ("prev_hash", models.CharField(editable=False, max_length=64)),
                        ("hash", models.CharField(editable=False, max_length=64)),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="audit_events", to=settings.AUTH_USER_MODEL)),
                        ("patient", models.ForeignKey(blank=True, help_text="The patient whose record this is about, if any.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="audit_events", to="couples.partner")),
                    ],
                    options={
                        "db_table": "couples_auditevent",
                        "ordering": ["-seq"],
                        "indexes": [
                            models.Index(fields=["actor", "at"], name="couples_aud_actor_i_73ab0c_idx"),
                            models.Index(fields=["patient", "at"], name="couples_aud_patient_154b45_idx"),
                            models.Index(fields=["action", "at"], name="couples_aud_action_180fa4_idx"),
                        ],
                    },
                ),
            ],
        )
    ]
