"""Folding and query words: Japanese without spaces, width and kana variants, hostile input."""

from __future__ import annotations

from ascc.exhibitors.search import document, fold, matches, query_terms


def test_japanese_word_is_found_inside_a_compound_without_spaces() -> None:
    text = document("下水汚泥処理施設の脱水機", "Sludge dewatering")
    assert matches(text, query_terms("汚泥処理"))
    assert matches(text, query_terms("脱水"))
    assert not matches(text, query_terms("焼却"))


def test_full_width_letters_katakana_and_case_fold_to_one_form() -> None:
    assert fold("ＡＳＣＣ　Plastics") == "ascc plastics"
    assert matches(document("家庭ごみの分別"), query_terms("ゴミ"))  # katakana query, hiragana text
    assert matches(document("ゴミ分別"), query_terms("ごみ"))


def test_query_is_split_at_spaces_and_japanese_punctuation() -> None:
    assert query_terms("汚泥、脱水　water  WATER") == ["汚泥", "脱水", "water"]
    assert query_terms("   ") == []


def test_wildcards_typed_by_people_are_not_special() -> None:
    assert query_terms("100% _x_") == ["100", "x"]
    assert len(query_terms(" ".join(f"w{i}" for i in range(20)))) == 8


def test_short_latin_words_match_only_at_a_word_start() -> None:
    assert matches(document("EV buses for Da Nang"), query_terms("ev"))
    assert not matches(document("development level"), query_terms("ev"))
    assert not matches(document("district heating"), query_terms("ICT"))
    assert matches(document("district heating"), query_terms("trict"))  # longer words anywhere
