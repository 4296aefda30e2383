"""Reading interface files: YAML text in, a checked ``feeds.domain.Interface`` out.

The parser (PyYAML) lives here so ``feeds.domain`` stays pure; the checking itself is
:func:`moralbank.feeds.domain.parse_interface` (every problem reported at once, with the file name).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from moralbank.errors import InvalidInput, Problem
from moralbank.feeds.domain import INTERFACES_DIR, Interface, parse_interface


def load_interface(path: Path) -> Interface:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        raise InvalidInput(Problem("an interface file is a YAML mapping", file=path.name))
    iface = parse_interface(data, source=path.name)
    if path.stem != iface.name:
        raise InvalidInput(
            Problem(f"file name {path.stem!r} differs from name {iface.name!r}", file=path.name)
        )
    return iface


def load_interfaces(directory: Path = INTERFACES_DIR) -> dict[str, Interface]:
    """Every interface of a directory, by name (sorted)."""
    out = {}
    for path in sorted(directory.glob("*.yaml")):
        iface = load_interface(path)
        out[iface.name] = iface
    return out
