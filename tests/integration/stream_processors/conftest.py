"""Fixtures shared by the processor tests that run the orders processor alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.settings import KafkaSettings
from schemas.serdes import Serdes
from schemas.settings import RegistrySettings


@pytest.fixture
def serdes(orders_worker: KafkaSettings, registry_settings: RegistrySettings) -> Iterator[Serdes]:
    """Serdes on the topics of the module's ``orders_worker``, closed after the test."""
    with Serdes(orders_worker, registry_settings) as serdes:
        yield serdes
