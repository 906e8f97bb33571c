from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Indexes on every foreign key (PostgreSQL does not index them by itself).

    Written by `tortoise makemigrations`, then trimmed of its spurious primary-key churn
    on chat_state and rma_counter (see 0002).
    """

    dependencies = [('models', '0003_analytics_rollups')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Attachment',
            name='message',
            field=fields.ForeignKeyField('models.Message', source_field='message_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Attachment',
            name='request',
            field=fields.ForeignKeyField('models.ReturnRequest', source_field='request_id', db_index=True, db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ChatState',
            name='customer',
            field=fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='chats', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='JournalEntry',
            name='request',
            field=fields.ForeignKeyField('models.ReturnRequest', source_field='request_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='journal', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='JournalLine',
            name='entry',
            field=fields.ForeignKeyField('models.JournalEntry', source_field='entry_id', db_index=True, db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Message',
            name='request',
            field=fields.ForeignKeyField('models.ReturnRequest', source_field='request_id', db_index=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Notification',
            name='customer',
            field=fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Order',
            name='customer',
            field=fields.ForeignKeyField('models.Customer', source_field='customer_id', db_index=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='OrderLine',
            name='order',
            field=fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='OrderLine',
            name='product',
            field=fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='order_lines', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Payment',
            name='request',
            field=fields.ForeignKeyField('models.ReturnRequest', source_field='request_id', db_index=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Refund',
            name='request',
            field=fields.ForeignKeyField('models.ReturnRequest', source_field='request_id', db_index=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ReturnEvent',
            name='request',
            field=fields.ForeignKeyField('models.ReturnRequest', source_field='request_id', db_index=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ReturnLine',
            name='order_line',
            field=fields.ForeignKeyField('models.OrderLine', source_field='order_line_id', db_index=True, db_constraint=True, to_field='id', related_name='return_lines', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ReturnLine',
            name='replacement_product',
            field=fields.ForeignKeyField('models.Product', source_field='replacement_product_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='replacement_lines', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ReturnLine',
            name='request',
            field=fields.ForeignKeyField('models.ReturnRequest', source_field='request_id', db_index=True, db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ReturnRequest',
            name='assigned_to',
            field=fields.ForeignKeyField('models.StaffUser', source_field='assigned_to_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='assigned', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ReturnRequest',
            name='customer',
            field=fields.ForeignKeyField('models.Customer', source_field='customer_id', db_index=True, db_constraint=True, to_field='id', related_name='returns', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='ReturnRequest',
            name='order',
            field=fields.ForeignKeyField('models.Order', source_field='order_id', db_index=True, db_constraint=True, to_field='id', related_name='returns', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='StockLevel',
            name='product',
            field=fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='levels', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='StockMovement',
            name='product',
            field=fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='movements', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='StockMovement',
            name='return_request',
            field=fields.ForeignKeyField('models.ReturnRequest', source_field='return_request_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='movements', on_delete=OnDelete.CASCADE),
        ),
    ]
