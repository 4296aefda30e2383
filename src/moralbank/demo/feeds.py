"""Demo step: sample files of all 18 data interfaces for the demo city's residents, imported.

Formats and encodings rotate (CSV in UTF-8, GB18030 and UTF-8 with BOM, XLSX, JSON Lines) and each
file carries a few deliberately bad rows, so the quarantine page has something to show."""

from __future__ import annotations

import random
from typing import Any

from moralbank.demo import city
from moralbank.feeds import samples
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file
from moralbank.kernel.clock import local_date

FORMATS = (("csv", "utf-8"), ("csv", "gb18030"), ("xlsx", None), ("jsonl", None), ("csv", "utf-8-sig"))
SIZES = {"town": (300, 40, 2), "yuyao": (3000, 2000, 5)}  # residents named, rows per file, bad rows


def _id_numbers(container: Any, *, limit: int, seed: int) -> list[str]:
    """The ID numbers of ``limit`` residents chosen with the seed."""
    from moralbank.residents import service as residents

    with container.uow(write=False) as uow:
        everyone = sorted(r["id"] for r in residents.list_ids(uow))
    chosen = random.Random(seed).sample(everyone, min(limit, len(everyone)))
    numbers = city.id_numbers(container, seed=seed, resident_ids=chosen)
    return [numbers[rid] for rid in chosen if rid in numbers]


def build_feeds(container: Any, *, scale: str, seed: int) -> str:
    people, rows, bad = SIZES[scale]
    ids = _id_numbers(container, limit=people, seed=seed)
    if not ids:
        return "feeds: no residents enrolled, no sample files"
    out = container.settings.data_dir / "feeds-samples"
    out.mkdir(parents=True, exist_ok=True)
    today = local_date(container.clock.now())
    total = {"received": 0, "accepted": 0, "quarantined": 0, "held_for_consent": 0, "duplicates": 0}
    for i, iface in enumerate(feeds.list_interfaces()):
        ext, encoding = FORMATS[i % len(FORMATS)]
        path = out / f"{iface.name}-{seed}.{ext}"
        samples.write(
            path,
            iface,
            samples.rows(iface, ids, rows, seed=seed, today=today, bad=bad),
            encoding=encoding or "utf-8",
        )
        counts = import_file(container, interface=iface.name, path=path, actor="demo").counts
        for k in total:
            total[k] += getattr(counts, k)
    return (
        f"feeds: 18 interfaces, {total['received']} department records — {total['accepted']} accepted, "
        f"{total['quarantined']} quarantined, {total['held_for_consent']} held for consent "
        f"(files in {out})"
    )
