import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The chat's recently handled update ids, so a repeated update is recognised by its id
    rather than by being older than the newest one (which dropped an update that arrived
    out of order, from several webhook connections or instances).

    Written by hand in the form `tortoise makemigrations` gives (see 0002).
    """

    dependencies = [("models", "0006_report_snapshot")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ChatState",
            name="recent_update_ids",
            field=fields.JSONField(
                null=True,
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
    ]
