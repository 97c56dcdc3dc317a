"""Scoring needs against solutions and the reason shown for a suggestion."""

from __future__ import annotations

from ascc.exhibitors.suggest import Item, corpus_of, features, shared_phrases_en, shared_phrases_ja, suggest


def _items():
    need = Item(
        1,
        ["waste"],
        ["12.5"],
        ["PH"],
        "Mandaue closed its landfill and wants to turn waste plastics to fuel.",
        "埋立地を閉鎖したため、廃プラスチックの燃料化を検討している。",
    )
    plastics = Item(
        10,
        ["waste"],
        ["12.5"],
        ["PH"],
        "Waste plastics to fuel: a small plant making oil.",
        "廃プラスチック油化装置",
    )
    water = Item(11, ["water"], ["6.3"], ["VN"], "Advanced water treatment for rivers.", "高度浄水処理")
    solar = Item(12, ["energy"], ["7.2"], ["TH"], "Rooftop solar for schools.", "学校の屋根置き太陽光")
    return need, [water, solar, plastics]


def test_best_solution_shares_sector_target_and_words_and_says_so() -> None:
    need, solutions = _items()
    corpus = corpus_of(features(i) for i in [need, *solutions])
    found = suggest(need, solutions, corpus)
    assert [s.id for s in found] == [10]  # the others share too little to be shown at all
    best = found[0]
    assert best.sectors == ("waste",) and best.sdgs == ("12.5",) and best.country == "PH"
    assert best.phrases_en == ("waste plastics to fuel",)
    assert best.phrases_ja == ("プラスチック",)


def test_japanese_only_texts_still_match_by_character_bigrams() -> None:
    need = Item(1, [], [], [], "", "下水汚泥の脱水と減量化")
    near = Item(2, [], [], [], "", "汚泥脱水機による汚泥の減量化")
    far = Item(3, [], [], [], "", "観光客向けの交通案内")
    corpus = corpus_of(features(i) for i in (need, near, far))
    assert [s.id for s in suggest(need, [far, near], corpus)] == [2]


def test_phrases_skip_stop_words_at_the_edges() -> None:
    assert shared_phrases_en("the treatment of septage in Cebu", "septage treatment for the city") == (
        "treatment",
        "septage",
    )
    assert shared_phrases_ja("下水道の整備", "下水道の改修") == ("下水道",)


def test_reasons_leave_out_generic_words_and_units() -> None:
    """ "共通：処理; 支援; 立方" (treatment; support; cubic) told a reader nothing (#25): only what is specific."""
    need = "セプテージ処理を支援してほしい。1日150立方メートルの汚泥脱水が必要です。"
    solution = "汚泥脱水機の導入を支援します。処理能力は1日200立方メートル。"
    assert shared_phrases_ja(need, solution) == ("汚泥脱水",)
    assert shared_phrases_ja("事業の支援と処理", "支援事業による処理") == ()
    assert shared_phrases_en("150 cubic metres a day of septage", "septage: 200 cubic metres a day") == (
        "septage",
    )
