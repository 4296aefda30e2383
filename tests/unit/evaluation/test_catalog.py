"""Every Chinese string the evaluation pages show has its English in web/locale/en/evaluation.po."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from moralbank.web.pages import evaluation as pages

WEB = Path(pages.__file__).parents[1]


def test_every_visible_string_is_translated():
    with (WEB / "locale/en/evaluation.po").open("rb") as f:
        catalog = {m.id: m.string for m in read_po(f, locale="en") if m.id}
    with (WEB / "locale/en/common.po").open("rb") as f:
        catalog.update({m.id: m.string for m in read_po(f, locale="en") if m.id})
    wanted = set()
    for path in [*(WEB / "templates/evaluation").glob("*.html"), Path(pages.__file__)]:
        text = path.read_text()
        wanted |= set(re.findall(r'_\(\s*"([^"]+)"', text)) | set(re.findall(r"_\(\s*'([^']+)'", text))
        wanted |= set(re.findall(r'_run\([^)]*?"([^"]*[\u4e00-\u9fff][^"]*)"', text, re.S))
    for labels in (pages.STATE_LABELS, pages.ORIGIN_LABELS, pages.OBJECTION_LABELS, pages.ACTION_LABELS):
        wanted |= set(labels.values())
    missing = sorted(w for w in wanted if not catalog.get(w))
    assert not missing, missing
