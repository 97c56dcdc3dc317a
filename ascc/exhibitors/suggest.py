"""Suggestions between city needs and solutions, each with the reason people read. Pure.

A pair scores for what it shares: sectors (3 each), SDG targets (2 each; a shared goal alone 0.5),
the need's country among the solution's target countries (1), and text similarity (up to 10): the cosine
of TF-IDF vectors of English words and Japanese character bigrams, so a Japanese-only description still
finds its partner. The reason names what both share, in words taken from both texts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ascc.exhibitors.search import fold

SECTOR_WEIGHT = 3.0
TARGET_WEIGHT = 2.0
GOAL_WEIGHT = 0.5
COUNTRY_WEIGHT = 1.0
TEXT_WEIGHT = 10.0
MIN_SCORE = 2.0  # below this a pair shares too little to be worth a person's time

_WORD = re.compile(r"[a-z][a-z0-9\-]+")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff々〆ー]+")
# Runs of one script: kanji compounds and katakana words are the meaningful units of a Japanese phrase.
_JA_WORD = re.compile(r"[\u3400-\u9fff々]{2,}|[\u30a1-\u30faー]{3,}")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "the",
        "their",
        "this",
        "to",
        "with",
        "we",
        "which",
        "who",
        "will",
        "can",
        "up",
        "than",
        "that",
        "these",
        "those",
        "per",
        "all",
        "also",
        "more",
        "most",
        "new",
        "not",
        "out",
        "over",
        "city",
        "cities",
        "solution",
        "solutions",
        "need",
        "needs",
        "system",
        "systems",
        "project",
        "projects",
        "about",
        "what",
        "how",
        "each",
        "only",
        "first",
        "one",
        "two",
        "three",
        "year",
        "years",
    ]
)
# Units and generic words that both texts share without saying anything about the match: a reason such as
# "共通：処理; 支援; 立方" (treatment; support; cubic) names nothing a person could act on.
_JA_STOP = frozenset(
    """
    メートル ミリグラム リットル キロメートル キログラム パーセント トン キロ 立方 平方 立方メートル 平方メートル
    万人 年間 以上 以下 以内 未満 程度 毎日 割合 時間 期間 場合 現在 現地 全体 対象 方法 結果 効果 状況 問題
    支援 処理 利用 活用 導入 実施 実現 計画 事業 技術 提供 対応 地域 都市 市民 住民 施設 設備 管理 運営 運用
    開発 推進 実証 検討 確認 企業 会社 当社 弊社 日本 自治体 研修 制度 取組 目指 課題 改善 向上 効率 情報
    活動 可能 必要 予算 費用 整備 削減 発生 規模 基準 製品 機能 分野 関係 連携 協力 目標 部門 担当 世界 国内
    海外 市内 地方 政府 国際 経験 実績 調査 評価 設置 建設 供給 使用 増加 減少 拡大 民間 公共 本市 当市 同市
    市役所 提案 紹介 展開 構築 整理 対策
    システム サービス プロジェクト プログラム ソリューション センター オンライン モデル プラットフォーム
    ネットワーク マネジメント パートナー ビジネス サポート レベル コスト プラン ニーズ エリア
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
# The same for English phrases: units and words that end a phrase without naming what is shared.
_PHRASE_STOP = _STOP | frozenset(
    """
    cubic metre metres meter meters square tonne tonnes ton tons kilometre kilometres km kg percent cent day
    days daily month months plan plans
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Item:
    """A need or a solution, reduced to what matching looks at."""

    id: int
    sectors: Sequence[str]
    sdgs: Sequence[str]
    countries: Sequence[str]  # a need: its own country; a solution: its target countries
    text_en: str
    text_ja: str


@dataclass(frozen=True)
class Suggestion:
    id: int
    score: float
    sectors: tuple[str, ...]
    sdgs: tuple[str, ...]
    phrases_en: tuple[str, ...]
    phrases_ja: tuple[str, ...]
    country: str | None


@dataclass
class Corpus:
    """Document frequencies of the features of every item, for inverse-document-frequency weights."""

    size: int = 0
    frequency: Counter[str] = field(default_factory=Counter)

    def idf(self, feature: str) -> float:
        return math.log((1 + self.size) / (1 + self.frequency[feature])) + 1.0


def _stem(word: str) -> str:
    # Enough for matching "plastics" with "plastic" and "treatment" with "treated" is not needed.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def english_words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(fold(text))]


def features(item: Item) -> Counter[str]:
    """English word stems (without stop words) and Japanese bigrams, counted."""
    counts: Counter[str] = Counter(w for w in english_words(item.text_en) if w not in _STOP)
    for run in _CJK_RUN.findall(item.text_ja or ""):
        counts.update("ja:" + run[i : i + 2] for i in range(len(run) - 1))
    return counts


def corpus_of(vectors: Iterable[Counter[str]]) -> Corpus:
    corpus = Corpus()
    for vector in vectors:
        corpus.size += 1
        corpus.frequency.update(vector.keys())
    return corpus


def weighted(vector: Counter[str], corpus: Corpus) -> dict[str, float]:
    """TF-IDF weights, normalised to length 1."""
    weights = {f: (1 + math.log(n)) * corpus.idf(f) for f, n in vector.items()}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {f: w / norm for f, w in weights.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(f, 0.0) for f, w in a.items())


def _goal(sdg: str) -> str:
    return sdg.split(".", 1)[0]


def shared_sdgs(a: Sequence[str], b: Sequence[str]) -> tuple[tuple[str, ...], int]:
    """Targets (or goals) both name, and how many further goals they share only at goal level."""
    exact = tuple(s for s in a if s in b)
    goals_a = {_goal(s) for s in a if s not in exact}
    goals_b = {_goal(s) for s in b if s not in exact}
    return exact, len((goals_a & goals_b) - {_goal(s) for s in exact})


def shared_phrases_en(a: str, b: str, limit: int = 2) -> tuple[str, ...]:
    """The longest word sequences both texts contain ("waste plastics to fuel"), without stop words at the ends."""
    words_a, words_b = fold(a).split(), fold(b).split()
    clean_a = [w.strip(".,;:()\"'") for w in words_a]
    grams_b = {
        tuple(_stem(w.strip(".,;:()\"'")) for w in words_b[i : i + n])
        for n in range(1, 6)
        for i in range(len(words_b) - n + 1)
    }
    found: list[str] = []
    for n in range(5, 0, -1):
        for i in range(len(clean_a) - n + 1):
            gram = clean_a[i : i + n]
            if (
                gram[0] in _PHRASE_STOP
                or gram[-1] in _PHRASE_STOP
                or not all(_WORD.fullmatch(w) for w in gram)
            ):
                continue
            if n == 1 and len(gram[0]) < 5:
                continue  # a single short word ("road") says little on its own
            if tuple(_stem(w) for w in gram) in grams_b:
                phrase = " ".join(gram)
                if not any(phrase in f for f in found):
                    found.append(phrase)
                    if len(found) == limit:
                        return tuple(found)
    return tuple(found)


def shared_phrases_ja(a: str, b: str, limit: int = 2) -> tuple[str, ...]:
    """Kanji compounds and katakana words both texts contain, the longest first."""
    words_b = set(_JA_WORD.findall(b or "")) - _JA_STOP
    found: list[str] = []
    for word in sorted(set(_JA_WORD.findall(a or "")) - _JA_STOP, key=lambda w: (-len(w), w)):
        if any(word in w for w in words_b) and not any(word in f for f in found):
            found.append(word)
            if len(found) == limit:
                break
    return tuple(found)


def suggest(
    target: Item, candidates: Sequence[Item], corpus: Corpus, limit: int = 5, exclude: int | None = None
) -> list[Suggestion]:
    """The best `limit` candidates for `target`, best first (ties by id, so the order is stable)."""
    target_vector = weighted(features(target), corpus)
    scored: list[Suggestion] = []
    for candidate in candidates:
        if candidate.id == exclude:
            continue
        sectors = tuple(s for s in target.sectors if s in candidate.sectors)
        targets, goals_only = shared_sdgs(target.sdgs, candidate.sdgs)
        country = next((c for c in target.countries if c in candidate.countries), None)
        similarity = cosine(target_vector, weighted(features(candidate), corpus))
        score = (
            SECTOR_WEIGHT * len(sectors)
            + TARGET_WEIGHT * len(targets)
            + GOAL_WEIGHT * goals_only
            + (COUNTRY_WEIGHT if country else 0.0)
            + TEXT_WEIGHT * similarity
        )
        if score < MIN_SCORE:
            continue
        scored.append(
            Suggestion(
                id=candidate.id,
                score=round(score, 2),
                sectors=sectors,
                sdgs=targets,
                phrases_en=(),
                phrases_ja=(),
                country=country,
            )
        )
    scored.sort(key=lambda s: (-s.score, s.id))
    best = scored[:limit]
    by_id = {c.id: c for c in candidates}
    # Phrases only for the few shown: finding them is the slow part.
    return [
        Suggestion(
            **{
                **s.__dict__,
                "phrases_en": shared_phrases_en(target.text_en, by_id[s.id].text_en),
                "phrases_ja": shared_phrases_ja(target.text_ja, by_id[s.id].text_ja),
            }
        )
        for s in best
    ]
