from django.db import migrations

# The audit log moves to its own app (audit/). Its tables stay where they are: only Django's
# picture of which app owns them changes here; audit/migrations/0001 takes them over.


class Migration(migrations.Migration):
    dependencies = [("couples", "0006_couple_revisions")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEvent"),
                migrations.DeleteModel(name="AuditChainHead"),
            ],
            database_operations=[],
        )
    ]
