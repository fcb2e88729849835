import pytest

from sftlab.evaluate.match import MatchSettings, is_hit, normalize, too_short


def test_normalize_applies_each_documented_step():
    assert normalize("  The U.S.A.,\tof\n America! ") == "the u s a of america"
    assert normalize("ＰＡＲＩＳ") == "paris"  # full-width letters fold under NFKC


def test_each_step_can_be_turned_off():
    off = MatchSettings(
        lowercase=False, unicode_nfkc=False, strip_punctuation=False, collapse_whitespace=False
    )
    assert normalize(" Ａ.b  ", off) == " Ａ.b  "


def test_hit_is_containment_of_gold_or_alias():
    assert is_hit("It is located in France, Europe", ["france"])
    assert is_hit("the United States of America", ["USA", "United States"])
    assert not is_hit("Germany", ["France", ""])
    assert is_hit("Washington, D.C.", "washington d c")


def test_whole_words_rejects_partial_tokens():
    assert is_hit("a bus", "us")
    assert not is_hit("a bus", "us", MatchSettings(whole_words=True))
    assert is_hit("the us army", "US", MatchSettings(whole_words=True))


def test_settings_from_dict_rejects_unknown_keys():
    assert MatchSettings.from_dict({"lowercase": False}).lowercase is False
    with pytest.raises(ValueError, match="casefold"):
        MatchSettings.from_dict({"casefold": True})


def test_too_short_for_containment():
    assert too_short("N") and too_short("S.") and too_short("UK")
    assert not too_short("Oslo") and not too_short("")  # empty golds never hit
    assert not too_short("N", MatchSettings(whole_words=True))  # a word boundary protects it
    assert is_hit("Born in Paris", "N")  # why: "n" sits inside "born" and "in"
