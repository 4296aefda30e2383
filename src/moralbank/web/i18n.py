"""zh-CN is the source language of every message; English comes from gettext catalogs.

Each capability keeps its own catalog file ``locale/en/<capability>.po`` (so work on one capability
never touches another's); they are merged at start-up with Babel's PO reader.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("zh-CN", "en")
_FIELD = re.compile(r"\bfield ([a-z_]+): ")


@cache
def catalog(lang: str) -> dict[str, str]:
    if lang == "zh-CN":
        return {}
    messages: dict[str, str] = {}
    short = lang.split("-")[0]
    for po in sorted((LOCALE_DIR / short).glob("*.po")):
        with po.open("rb") as f:
            for m in read_po(f, locale=short):
                if m.id and m.string and isinstance(m.id, str):
                    messages[m.id] = m.string  # type: ignore[assignment]
    return messages


def translator(lang: str):  # noqa: ANN201
    table = catalog(lang)

    def gettext(message: str, **kwargs: object) -> str:
        text = table.get(message, message)
        return text.format(**kwargs) if kwargs else text

    return gettext


def pick_language(query: str | None, cookie: str | None, accept: str | None, default: str = "zh-CN") -> str:
    """``?lang=`` first, then the remembered choice (cookie), then the installation's default.

    The browser's Accept-Language is deliberately not consulted: the UI is Chinese first, and many
    office PCs run an English-language browser; English is one click away and then remembered.
    """
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return default


def error_text(message: str, lang: str) -> str:
    """A domain error's message (written in English by the services) for a page in ``lang``.

    Pages show refusals through this one function (the error page, every ``?err=`` flash): in Chinese
    a message is translated by the patterns of ``web/errors_zh.py``; in English it is shown as written.
    """
    if lang != "zh-CN":
        # "field points: …" reads "Points: …" to a person; the rest is the service's English.
        return _FIELD.sub(lambda m: m.group(1).replace("_", " ").capitalize() + ": ", message)
    from moralbank.web.errors_zh import translate

    return translate(message)
