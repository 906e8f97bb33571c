from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    """Rollup tables for reports.

    Written by `tortoise makemigrations`, then trimmed: its autodetector also proposed
    dropping and re-adding the non-generated primary keys of chat_state and rma_counter,
    which nothing changed.
    """

    dependencies = [('models', '0002_outbox_claims')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomerRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.DateField()),
                ('customer_id', fields.IntField()),
                ('channel', fields.CharField(max_length=32)),
                ('sold_units', fields.BigIntField(default=0)),
                ('returned_units', fields.BigIntField(default=0)),
                ('requests', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_customer', 'app': 'models', 'unique_together': (('month', 'customer_id', 'channel'),), 'pk_attr': 'id', 'table_description': 'Units a customer bought and returned, and their requests, per month × channel.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.DateField()),
                ('account', fields.CharField(max_length=30)),
                ('channel', fields.CharField(max_length=32)),
                ('type', fields.CharField(max_length=10)),
                ('debit_cents', fields.BigIntField(default=0)),
                ('credit_cents', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_ledger', 'app': 'models', 'unique_together': (('month', 'account', 'channel', 'type'),), 'pk_attr': 'id', 'table_description': 'Debits and credits (cents) per month × account × channel × request type.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReturnRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.DateField()),
                ('product_id', fields.IntField()),
                ('channel', fields.CharField(max_length=32)),
                ('reason', fields.CharField(max_length=40)),
                ('sold_units', fields.BigIntField(default=0)),
                ('returned_units', fields.BigIntField(default=0)),
                ('exchange_units', fields.BigIntField(default=0)),
                ('requests', fields.BigIntField(default=0)),
                ('exchange_requests', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_return', 'app': 'models', 'unique_together': (('month', 'product_id', 'channel', 'reason'),), 'pk_attr': 'id', 'table_description': 'Units sold (reason ``""``) and returned, per month × product × channel × reason.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StageRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.DateField()),
                ('stage', fields.CharField(max_length=20)),
                ('channel', fields.CharField(max_length=32)),
                ('hours', fields.IntField()),
                ('visits', fields.BigIntField(default=0)),
                ('seconds', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_stage', 'app': 'models', 'unique_together': (('month', 'stage', 'channel', 'hours'),), 'pk_attr': 'id', 'table_description': 'Visits to a status that ended in a month, by channel and whole hours (rounded up).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SurveyRollup',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.DateField()),
                ('channel', fields.CharField(max_length=32)),
                ('score', fields.SmallIntField()),
                ('surveys', fields.BigIntField(default=0)),
            ],
            options={'table': 'rollup_survey', 'app': 'models', 'unique_together': (('month', 'channel', 'score'),), 'pk_attr': 'id', 'table_description': 'Survey answers per month × channel × score.'},
            bases=['Model'],
        ),
    ]
