"""Build the demo city step by step. Each capability contributes one step, in dependency order.

A step is ``step(container, *, scale: str, seed: int) -> str`` (one summary line). Steps must be
deterministic from the seed and must write only through their capability's services.
"""

from __future__ import annotations

import importlib

from moralbank.bootstrap import Container

STEPS = (
    "moralbank.demo.city:build_city",  # policy, organisation, residents, households, consents
    "moralbank.demo.users:build_users",  # one account per role, printed with how to sign in
    "moralbank.demo.history:build_history",  # ledger history: deeds, department records, corrections
    "moralbank.demo.evaluation:build_evaluation",  # deeds in flight, objections
    "moralbank.demo.feeds:build_feeds",  # sample files of the 18 interfaces, imported
    "moralbank.demo.scores:build_scores",  # scores, so portraits and green codes show
)


DEMO_MARKER = "DEMO"
"""A file in the data directory saying its city is synthetic: every server on it shows the banner."""


def build_demo(container: Container, *, scale: str = "town", seed: int = 2012) -> list[str]:
    if scale not in ("town", "yuyao"):
        raise ValueError("scale is 'town' or 'yuyao'")
    lines = []
    for spec in STEPS:
        module_name, func = spec.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name == module_name:
                continue
            raise
        lines.append(getattr(module, func)(container, scale=scale, seed=seed))
    container.cache["demo"] = True
    (container.settings.data_dir / DEMO_MARKER).write_text(
        f"A synthetic demo city (moralbank demo --scale {scale} --seed {seed}): every person is invented.\n",
        encoding="utf-8",
    )
    return [line for line in lines if line]
