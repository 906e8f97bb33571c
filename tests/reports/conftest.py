"""The report pages' tests sign staff in: with cheap argon2 parameters (tests/backoffice)."""

import pytest

from services import staff as staff_service
from tests.backoffice.conftest import QUICK


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr(staff_service, "_hasher", QUICK)
