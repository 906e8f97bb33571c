from domain.returns import ReturnType, Status
from models import ReturnLine
from services.ledger import is_balanced, trial_balance
from services.refunds import exchange_due, record_exchange_payment, refund_return, ship_replacement
from services.review import approve_return
from services.warehouse import Grades, inspect_return, receive_return
from tests.factories import FINANCE, REVIEWER, WAREHOUSE, build_shop, open_return


async def test_refund_path(db, clock):
    shop = await build_shop(clock)
    r = await open_return(shop)
    assert r.status is Status.SUBMITTED
    r = await approve_return(r.id, actor=REVIEWER, clock=clock)
    line = await ReturnLine.get(request_id=r.id)
    r = await receive_return(r.id, {line.id: 1}, actor=WAREHOUSE, clock=clock)
    r = await inspect_return(r.id, {line.id: Grades(1, 0, 0)}, actor=WAREHOUSE, clock=clock)
    r = await refund_return(r.id, actor=FINANCE, clock=clock)
    assert r.status is Status.REFUNDED
    assert is_balanced(await trial_balance())


async def test_exchange_dearer(db, clock):
    shop = await build_shop(clock)
    r = await open_return(shop, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    r = await approve_return(r.id, actor=REVIEWER, clock=clock)
    line = await ReturnLine.get(request_id=r.id)
    await receive_return(r.id, {line.id: 1}, actor=WAREHOUSE, clock=clock)
    await inspect_return(r.id, {line.id: Grades(0, 1, 0)}, actor=WAREHOUSE, clock=clock)
    due = await exchange_due(r.id)
    assert str(due) == "50.00"
    await record_exchange_payment(r.id, due, actor=FINANCE, clock=clock)
    r = await ship_replacement(r.id, "SF123456", actor=WAREHOUSE, clock=clock)
    assert r.status is Status.EXCHANGED
    assert is_balanced(await trial_balance())
