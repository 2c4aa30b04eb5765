"""Helpers of the deployment tests: every environment variable a ShopStream setting reads."""

from __future__ import annotations

import importlib

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from infra.services import SERVICES
from infra.settings import KafkaSettings, LogSettings, ServiceSettings
from schemas.settings import RegistrySettings


def _subclasses(cls: type[ServiceSettings]) -> list[type[ServiceSettings]]:
    children: list[type[ServiceSettings]] = cls.__subclasses__()
    return [cls, *(sub for child in children for sub in _subclasses(child))]


def _names(cls: type[BaseSettings]) -> set[str]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field, info in cls.model_fields.items():
        if field in ServiceSettings.model_fields and field in ("kafka", "registry", "logs"):
            continue
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"{prefix}{field}".upper())
    return names


@pytest.fixture(scope="session")
def setting_names() -> set[str]:
    """Every ``KAFKA_*``, ``SCHEMA_*``, ``LOG_*`` and per-service variable some settings class reads."""
    for service in SERVICES:
        importlib.import_module(f"{service.module}.settings")
    names = _names(KafkaSettings) | _names(RegistrySettings) | _names(LogSettings)
    for cls in _subclasses(ServiceSettings):
        if cls.model_config.get("env_prefix"):  # the base class reads nothing of its own
            names |= _names(cls)
    return names
