"""Chinese wording of the domain errors pages show (``i18n.error_text``).

The services write their refusals in English (logs, the API and the CLI read them as they are). Pages in
Chinese translate them here: one pattern per message, its ``{}`` fields copied over.
"""

from __future__ import annotations


def translate(message: str) -> str:
    """The Chinese wording of ``message``; a message without a pattern is returned as it is."""
    return message
