from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """One-use keys of back-office forms that have no version to check (a staff message, a
    scrap): the change records its form's key, so a double click or a form sent again from
    the browser's history changes things once.

    Written by hand in the form `tortoise makemigrations` gives, without its spurious
    primary-key churn on chat_state and rma_counter (see 0002).
    """

    dependencies = [("models", "0012_staff_session_epoch")]

    initial = False

    operations = [
        ops.CreateModel(
            name="FormSubmission",
            fields=[
                ("form_key", fields.CharField(primary_key=True, max_length=32, unique=True)),
                ("sent_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "form_submission",
                "app": "models",
                "pk_attr": "form_key",
                "table_description": "A back-office form's one-use key, recorded with the"
                " change the form made (so the same form sent twice changes things once).",
            },
            bases=["Model"],
        ),
    ]
