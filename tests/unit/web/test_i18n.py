from moralbank.web.i18n import catalog, pick_language, translator


def test_chinese_is_the_default_whatever_the_browser_says() -> None:
    assert pick_language(None, None, "en-US,en;q=0.9") == "zh-CN"
    assert pick_language("en", None, None) == "en"
    assert pick_language(None, "en", "zh-CN") == "en"
    assert pick_language("xx", None, None) == "zh-CN"


def test_every_english_catalog_loads_and_translates_the_frame() -> None:
    assert len(catalog("en")) > 100
    assert translator("en")("道德银行") == "Moral Bank"
    assert translator("zh-CN")("道德银行") == "道德银行"


def test_every_chinese_message_of_the_web_layer_has_an_english_translation() -> None:
    import re
    from pathlib import Path

    import moralbank.web

    web = Path(moralbank.web.__file__).parent
    english = catalog("en")
    # _("…") with a literal message; a message built by concatenation (_("每" ~ …)) is checked by its parts
    literal = re.compile(r"""_\(\s*(["'])((?:(?!\1).)+)\1\s*[,)]""")
    messages = [
        (path.relative_to(web), m.group(2))
        for path in sorted(web.rglob("*"))
        if path.suffix in (".html", ".py")
        for m in literal.finditer(path.read_text(encoding="utf-8"))
        if re.search(r"[\u4e00-\u9fff]", m.group(2))
    ]
    assert len(messages) > 300  # the scan sees the templates' messages
    assert [f"{path}: {text}" for path, text in messages if text not in english] == []


def test_a_message_means_the_same_in_every_catalog() -> None:
    """The catalogs are merged into one table, so a message translated two ways in two files would show
    whichever file sorts last on every page."""
    from collections import defaultdict

    from babel.messages.pofile import read_po

    from moralbank.web.i18n import LOCALE_DIR

    english: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for po in sorted((LOCALE_DIR / "en").glob("*.po")):
        with po.open("rb") as f:
            for m in read_po(f, locale="en"):
                if m.id and m.string:
                    english[m.id].add((m.string, po.name))
    assert len(english) > 300
    assert {k: sorted(v) for k, v in english.items() if len({s for s, _ in v}) > 1} == {}


def test_an_english_page_names_a_field_in_words() -> None:
    from moralbank.web.i18n import error_text

    message = "field evidence: this indicator needs evidence (a photo or PDF); field deed_date: too old"
    assert error_text(message, "en") == (
        "Evidence: this indicator needs evidence (a photo or PDF); Deed date: too old"
    )
