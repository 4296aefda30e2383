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
