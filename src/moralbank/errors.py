"""The domain error hierarchy. No HTTP here: the web layer maps these to status codes."""

from __future__ import annotations

from dataclasses import dataclass


class MoralbankError(Exception):
    """Base of every error moralbank raises on purpose."""


class NotFound(MoralbankError):
    """The object does not exist (or the caller may not know that it does)."""


class PermissionDenied(MoralbankError):
    """The caller's role or organisation scope does not allow this."""


class NotAuthenticated(MoralbankError):
    """No valid sign-in, session or token."""


class Conflict(MoralbankError):
    """The request clashes with the current state (duplicate, wrong state, stale version)."""


class RateLimited(MoralbankError):
    """Too many requests of this kind in the current period."""


class Unavailable(MoralbankError):
    """An outside service the request needs (the SMS platform, a relay) did not take it; try again later."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input, with where it is."""

    reason: str
    field: str | None = None
    row: int | None = None
    line: int | None = None
    file: str | None = None

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.reason}" if where else self.reason


class InvalidInput(MoralbankError):
    """Input that breaks a rule; carries every problem found, each with its location."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = problems
        super().__init__("; ".join(str(p) for p in problems))
