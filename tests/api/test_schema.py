"""schemathesis against the served OpenAPI document: no 5xx, every response as documented.

aiohttp is neither ASGI nor WSGI, so the app runs on a real port on 127.0.0.1 in this test's
event loop while schemathesis (synchronous, over ``requests``) runs in a worker thread. For each
operation: the document's examples, then positive and negative data from Hypothesis; every
response goes through schemathesis' default checks, the bearer token sent on every call.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.factories import build_shop, open_return

# Small enough for CI: about 6 operations × 3 strategies × this many requests.
MAX_EXAMPLES = 20


def config(token: str) -> SchemathesisConfig:
    """The bearer token through schemathesis' own auth, so negative cases may leave it out."""
    return SchemathesisConfig.from_dict(
        {**CHECKS, "auth": {"openapi": {"bearer": {"bearer": token}}}}
    )


CHECKS = {
    "checks": {
        # Valid JSON can still be refused for what a schema cannot say (an order's customer
        # must exist, a phone must parse): 422 names those items, and is an honest answer.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "404", "422"]},
        # A body over the 1 MiB limit is refused before it is parsed, whatever it breaks.
        "negative_data_rejection": {
            "expected-statuses": ["400", "401", "404", "405", "413", "415", "422"]
        },
    }
}


Seen = Counter[tuple[str, str, int]]


def fuzz(schema: Any, token: str, seen: Seen) -> dict[str, list[str]]:
    """Run every operation's strategies; the failures by operation (empty when all is well)."""
    session = requests.Session()
    failures: dict[str, list[str]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for name, strategy in strategies(operation, token):
            check = checker(strategy, session, seen)
            try:
                check()
            except Unsatisfiable:
                # Nothing of this operation can be negated (a path parameter any text fits).
                continue
            except Exception as error:
                failures.setdefault(f"{operation.label} [{name}]", []).append(str(error))
    return failures


def strategies(operation: Any, token: str) -> list[tuple[str, Any]]:
    found = [(f"example {n}", s) for n, s in enumerate(operation.get_strategies_from_examples())]
    found.append(("positive", operation.as_strategy(GenerationMode.POSITIVE)))
    if operation.body or operation.query or operation.path_parameters:
        # With the token fixed, negative cases break the body, query or path, not the
        # header; the `ignored_auth` check still calls without it and with a wrong one.
        fixed = {"Authorization": f"Bearer {token}"}
        found.append(("negative", operation.as_strategy(GenerationMode.NEGATIVE, headers=fixed)))
    return found


def checker(strategy: Any, session: requests.Session, seen: Seen) -> Callable[[], None]:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call_and_validate(session=session)
        mode = case.meta.generation.mode.value if case.meta else "explicit"
        seen[(case.operation.label, mode, response.status_code)] += 1

    return check


@pytest.fixture
async def seeded(db, clock):
    """A shop with three requests, the first of them RMA-2026-000001 (the document's example)."""
    shop = await build_shop(clock)
    for items in ({"TEE-1": 1}, {"MUG-1": 1}, {"MUG-1": 2}):
        await open_return(shop, items)
        clock.advance(timedelta(minutes=1))


async def test_the_api_answers_every_generated_request_as_documented(server, token, seeded):
    url = f"{server}/api/v1/openapi.json"
    schema = await asyncio.to_thread(schemathesis.openapi.from_url, url, config=config(token))
    seen: Seen = Counter()
    started = time.monotonic()
    failures = await asyncio.to_thread(fuzz, schema, token, seen)
    elapsed = time.monotonic() - started
    print(f"\n{sum(seen.values())} requests in {elapsed:.1f} s")
    for (label, mode, status), count in sorted(seen.items()):
        print(f"  {label:34} {mode:9} {status}  ×{count}")
    assert not failures, "\n\n".join(f"{k}:\n" + "\n".join(v) for k, v in failures.items())
    # The fuzzing reached the handlers: every operation answered at least one call with 2xx.
    answered = {label for (label, _mode, status) in seen if 200 <= status < 300}
    assert answered == {result.ok().label for result in schema.get_all_operations()}
