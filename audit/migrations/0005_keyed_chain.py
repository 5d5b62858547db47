"""The audit chain becomes keyed (HMAC-SHA256 with settings.AUDIT_CHAIN_KEY). The rows already
written were hashed without a key and keep verifying so (`keyed` false); new rows are keyed.
Adding a column with a default writes no row, so the append-only trigger has nothing to refuse.
"""

from django.db import migrations, models

HELP = "Hashed with AUDIT_CHAIN_KEY (HMAC-SHA256); rows from before the key are not."


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_refuse_truncate")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="keyed",
            field=models.BooleanField(default=False, editable=False, help_text=HELP),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="keyed",
            field=models.BooleanField(default=True, editable=False, help_text=HELP),
        ),
    ]
