"""Request and response models of the policy API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class VersionOut(BaseModel):
    version: int
    sha256: str
    author: str
    created_at: datetime
    note: str | None = None
    active: bool = False


class PolicyOut(BaseModel):
    """A policy version in full: the published catalogue and every rule (docs/policy.md)."""

    version: VersionOut
    policy: dict[str, Any]


class ProblemOut(BaseModel):
    reason: str
    field: str | None = None
    line: int | None = None


class PolicyText(BaseModel):
    text: str = Field(description="The policy file (YAML).")
    author: str | None = Field(
        default=None, description="Kept with the version; defaults to the signed-in user."
    )
    note: str | None = None


class CheckOut(BaseModel):
    valid: bool
    problems: list[ProblemOut]


class AppliedOut(BaseModel):
    created: bool
    message: str
    version: VersionOut


class ChangeField(BaseModel):
    field: str
    old: Any = None
    new: Any = None


class ChangeOut(BaseModel):
    kind: str
    what: str
    code: str
    fields: list[ChangeField] = []
