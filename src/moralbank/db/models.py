"""Imports every capability's tables so Base.metadata is complete (for Alembic and tests)."""

from __future__ import annotations

import importlib

from moralbank.db.base import Base

CAPABILITIES = (
    "orgs",
    "residents",
    "policy",
    "auth",
    "audit",
    "ledger",
    "evaluation",
    "feeds",
    "scoring",
    "greencode",
    "notify",
)

for _name in CAPABILITIES:
    try:
        importlib.import_module(f"moralbank.{_name}.models")
    except ModuleNotFoundError as e:  # a capability without tables
        if e.name != f"moralbank.{_name}.models" and e.name != f"moralbank.{_name}":
            raise

__all__ = ["Base"]
