"""What every command shares: the container (honouring MORALBANK_DATABASE_URL), JSON output, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import typer
from rich.console import Console

from moralbank import errors
from moralbank.bootstrap import Container, bootstrap

# What a command answers — listings, counts, what it did — goes to stdout (``out``), so it can be piped
# or saved; progress bars, notes and errors go to stderr (``console``). ``--json`` answers are printed
# by ``print_json`` on stdout.
stdout_console = Console(soft_wrap=True)
console = Console(stderr=True)


@lru_cache(maxsize=1)
def container() -> Container:
    return bootstrap()


def _default(o: Any) -> Any:
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, bytes):
        import base64

        return base64.b64encode(o).decode()
    raise TypeError(f"cannot encode {type(o).__name__} as JSON")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a domain error into one clear message and exit code 2 (1 is left for 'check failed')."""
    try:
        yield
    except errors.InvalidInput as e:
        for p in e.problems:
            console.print(f"[red]error[/red] {p}")
        raise typer.Exit(2) from None
    except errors.MoralbankError as e:
        console.print(f"[red]error[/red] {type(e).__name__}: {e}")
        raise typer.Exit(2) from None
