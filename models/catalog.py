"""The shop's purchase–sales–inventory records: products, stock, customers, orders."""

from tortoise import fields
from tortoise.models import Model

from domain.stock import Location, MovementKind

MONEY = {"max_digits": 14, "decimal_places": 2}


class Product(Model):
    id = fields.IntField(primary_key=True)
    sku = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    category = fields.CharField(max_length=100, db_index=True)
    price = fields.DecimalField(**MONEY)
    cost = fields.DecimalField(**MONEY)
    returnable = fields.BooleanField(default=True)
    low_stock_threshold = fields.IntField(default=0)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.CharField(max_length=100, default="")

    class Meta:
        table = "product"


class StockLevel(Model):
    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", db_index=True, related_name="levels"
    )
    location = fields.CharEnumField(Location, max_length=20)
    quantity = fields.IntField(default=0)
    product_id: int

    class Meta:
        table = "stock_level"
        unique_together = (("product", "location"),)


class StockMovement(Model):
    id = fields.BigIntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", db_index=True, related_name="movements"
    )
    source = fields.CharEnumField(Location, max_length=20, null=True)
    target = fields.CharEnumField(Location, max_length=20, null=True)
    quantity = fields.IntField()
    kind = fields.CharEnumField(MovementKind, max_length=20)
    product_id: int
    return_request_id: int | None
    return_request = fields.ForeignKeyField(
        "models.ReturnRequest", db_index=True, related_name="movements", null=True
    )
    actor = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "stock_movement"


class Customer(Model):
    id = fields.IntField(primary_key=True)
    external_id = fields.CharField(max_length=64, unique=True, null=True)
    name = fields.CharField(max_length=200)
    phone = fields.CharField(max_length=20, unique=True)
    email = fields.CharField(max_length=200, default="")
    language = fields.CharField(max_length=10, default="en")
    telegram_user_id = fields.BigIntField(unique=True, null=True)
    unreachable = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.CharField(max_length=100, default="")

    class Meta:
        table = "customer"


class Order(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=64, unique=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", db_index=True, related_name="orders"
    )
    channel = fields.CharField(max_length=32, db_index=True)
    ordered_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)
    payment_method = fields.CharField(max_length=32, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    customer_id: int
    lines: fields.ReverseRelation["OrderLine"]

    class Meta:
        table = "customer_order"


class OrderLine(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", db_index=True, related_name="lines"
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", db_index=True, related_name="order_lines"
    )
    quantity = fields.IntField()
    unit_price = fields.DecimalField(**MONEY)
    order_id: int
    product_id: int

    class Meta:
        table = "order_line"
