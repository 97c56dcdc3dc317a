"""Fitting a badge's texts: measure, wrap and shrink, once for the PDF, the PNG and the SVG. Pure.

The renderers draw exactly the lines this module gives, at its sizes and baselines, so the three agree.
Widths are measured with HarfBuzz (uharfbuzz, what fpdf2 shapes with) in the fonts the PDF embeds
(`ascc.fonts`: Noto Sans CJK, then the fallbacks for each character it lacks).

Rules, in this order:

* A text is cleaned first (`clean`): NFC, white space collapsed, control and bidi-override characters
  dropped, and characters no installed font has (emoji) left out, as everywhere in our PDFs.
* Lines break at spaces, between CJK characters (not before 、。」ー and small kana, not after 「（), after a
  hyphen or slash inside a word, and at zero-width spaces. A word wider than the line (an unbroken Latin,
  Thai or Khmer string) is split between grapheme clusters, never inside one (a base and its combining
  marks, a virama and the consonant after it, a Thai leading vowel and its consonant stay together), and
  only once the text is at its smallest size.
* Each text has a largest and a smallest size and a number of lines (`RULES`): it takes the largest size
  at which it fits in those lines. A text that does not fit even at its smallest size takes more lines at
  that size. The smallest sizes are the legible minimum: 14 pt for the name, 12 pt for the name in local
  script, 9 pt for organization, country and marks.
* The texts between the colour band and the QR code share that space (`ZONE`): when they are too tall
  together, all of them (and the gaps between them) shrink toward their smallest sizes. Every text at
  its smallest size in its own number of lines always fits (a test checks it); only texts that need more
  lines than their own, together, can be too tall: names of some 90 characters in both scripts (65 in
  Japanese) with a 200-character organization, all four marks and the online line. Then, as the very last resort, lines are taken away with an
  ellipsis at the end of the last one: first those beyond a text's own lines, the organization's before
  the local name's before the name's. Shortened texts are not hidden in the PDF's text layer either:
  what is printed is what a reader copies.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import uharfbuzz as hb

from ascc import fonts

PT = 25.4 / 72  # millimetres per point
WIDTH, HEIGHT = 105.0, 148.0  # mm, A6 portrait
BAND = 24.0  # the colour band at the top
MARGIN = 6.0  # left and right of every line
LINE = WIDTH - 2 * MARGIN
QR_SIZE = 46.0  # the code with its quiet zone, centred above the short code
QR_TOP = HEIGHT - QR_SIZE - 11  # the box ends at 137 mm; the short code (12 pt) starts 2 mm below
ZONE = (BAND + 2.5, QR_TOP - 1.0)  # where the person's texts go: never into the QR's quiet zone
LEADING = 1.2  # height of a line per font size
ASCENT = 0.9  # baseline below the top of its line, per font size
GAP, TIGHT_GAP = 1.8, 1.0  # mm between two texts; the second when they are at their smallest
ELLIPSIS = "…"
ZWSP, ZWNJ, ZWJ, NBSP = "\u200b", "\u200c", "\u200d", "\u00a0"


@dataclass(frozen=True)
class Rule:
    largest: float  # pt
    smallest: float  # pt: the legible minimum, never gone below
    lines: int  # at most, unless the text does not fit in them at its smallest size


RULES = {
    "edition": Rule(15, 8, 1),
    "category_en": Rule(11, 8, 1),
    "category_ja": Rule(11, 8, 1),
    "name": Rule(26, 14, 2),
    "local": Rule(20, 12, 2),
    "organization": Rule(13, 9, 3),
    "country": Rule(12, 9, 1),
    "marks": Rule(10, 9, 2),
    "online": Rule(10, 9, 1),
    "badge_code": Rule(12, 9, 1),
    "reference": Rule(7, 6, 1),
}
MIDDLE = ("name", "local", "organization", "country", "marks", "online")  # top to bottom in ZONE
SHORTEN_FIRST = ("organization", "local", "name", "marks", "country", "online")
FIXED = {
    "edition": 9.0,
    "category_en": 15.5,
    "category_ja": 21.0,
    "badge_code": HEIGHT - 6,
    "reference": HEIGHT - 2.5,
}


@dataclass(frozen=True)
class Fitted:
    lines: tuple[str, ...]
    size: float  # pt
    shortened: bool = False

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * PT * LEADING


@dataclass(frozen=True)
class Line:
    """One line to draw, centred on the card: `baseline` in mm from the card's top, `width` in mm."""

    key: str
    text: str
    size: float
    baseline: float
    width: float


# --- fonts and measuring -----------------------------------------------------------------------------------


@functools.cache
def _chain() -> tuple[fonts.FontFile, ...]:
    return (fonts.primary_font(), *fonts.fallback_fonts(fonts.CITY_SCRIPTS))


@functools.cache
def font_of(char: str) -> fonts.FontFile | None:
    """The font that draws `char`, as fpdf2 chooses it: the primary face, else the first fallback."""
    for font in _chain():
        if ord(char) in font.cmap:
            return font
    return next(iter(fonts.plan_fallbacks({char})), None)


def fonts_of(texts: Iterable[str]) -> set[fonts.FontFile]:
    """The fonts these (cleaned) texts are drawn with."""
    return {font for text in texts for ch in set(text) if ch != " " and (font := font_of(ch))}


def runs(text: str) -> list[tuple[fonts.FontFile, str]]:
    """`text` cut where the font changes (per cluster; spaces stay in the run they are in)."""
    result: list[tuple[fonts.FontFile, str]] = []
    for cluster in clusters(text):
        font = None if cluster == " " else font_of(cluster[0]) or _chain()[0]
        if result and (font is None or font is result[-1][0]):
            result[-1] = (result[-1][0], result[-1][1] + cluster)
        else:
            result.append((font or _chain()[0], cluster))
    return result


@functools.cache
def _hb_font(path: str, index: int) -> tuple[hb.Font, int]:
    face = hb.Face(hb.Blob.from_file_path(path), index)
    return hb.Font(face), face.upem


@functools.lru_cache(maxsize=65536)
def em(text: str) -> float:
    """The advance width of `text` in ems (multiply by the size), shaped as the PDF shapes it."""
    total = 0.0
    for font, run in runs(text):
        shaper, upem = _hb_font(font.path, font.index)
        buffer = hb.Buffer()
        buffer.add_str(run)
        buffer.guess_segment_properties()
        hb.shape(shaper, buffer, {})
        total += sum(position.x_advance for position in buffer.glyph_positions) / upem
    return total


def width_mm(text: str, size: float) -> float:
    return em(text) * size * PT


# --- cleaning and breaking ---------------------------------------------------------------------------------

_KEEP_FORMAT = {ZWSP, ZWNJ, ZWJ}
_NO_START = set(
    "、。，．・：；？！ー」』）〕］｝〉》】々ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ…‥,.;:!?)]}%"
)
_NO_END = set("「『（〔［｛〈《【([{")
_LEADING_VOWELS = set("เแโใไເແໂໃໄ")  # Thai and Lao vowels written before their consonant
_NO_START |= set("ะาๅๆະາໆ")  # Thai and Lao vowels and marks written after their syllable
_HYPHENS = set("-‐/")


@functools.lru_cache(maxsize=4096)
def clean(text: str) -> str:
    """What of `text` a badge can print: see the module's notes."""
    kept = []
    for ch in unicodedata.normalize("NFC", text):
        if ch == NBSP and font_of(ch):
            kept.append(ch)  # a space no line breaks at
        elif ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") or ch in "\ufffe\uffff":
            continue
        elif unicodedata.category(ch) == "Cf" and ch not in _KEEP_FORMAT:
            continue  # bidi overrides and embeddings, soft hyphens, BOMs: shaping decides direction
        elif font_of(ch) is not None:
            kept.append(ch)
    words = "".join(kept).split(" ")
    # Joiners and zero-width spaces at the edge of a word join or separate nothing (left by a dropped emoji).
    return " ".join(w for word in words if (w := word.strip(ZWSP + ZWNJ + ZWJ)))


def _extends(ch: str) -> bool:
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or ch in (ZWJ, ZWNJ)
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tags
        or 0x1160 <= code <= 0x11FF  # conjoining Hangul vowels and finals
        or ch in "\u0e33\u0eb3"  # Thai and Lao sara am
    )


def clusters(text: str) -> list[str]:
    """Grapheme clusters, close to Unicode's extended ones: a base with its marks, joiners, conjuncts."""
    result: list[str] = []
    join_next = False
    for ch in text:
        if result and ch != " " and result[-1] != " " and (join_next or _extends(ch)):
            result[-1] += ch
        else:
            result.append(ch)
        join_next = ch == ZWJ or unicodedata.combining(ch) == 9  # virama, coeng: the next consonant joins
    return result


def _cjk(cluster: str) -> bool:
    code = ord(cluster[0])
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK punctuation, kana, ideographs
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x20000 <= code <= 0x3FFFF
    )


def _may_break(before: str, after: str, forced: bool) -> bool:
    """Whether a line may end between two clusters of one word; `forced` when the word is too wide."""
    if after[0] in _NO_START or before[-1] in _NO_END or before[-1] in _LEADING_VOWELS:
        return False
    if forced or _cjk(before) or _cjk(after):
        return True
    return before in _HYPHENS and after[0].isalnum()


@functools.lru_cache(maxsize=4096)
def _atoms(text: str) -> tuple[str, ...]:
    """`text` as the pieces a line is made of: words (or parts of words that may end a line) and spaces."""
    result: list[str] = []
    for index, word in enumerate(text.split(" ")):
        if index:
            result.append(" ")
        for part in word.split(ZWSP):
            if not part:
                continue
            pieces = clusters(part)
            current = pieces[0]
            for before, after in itertools.pairwise(pieces):
                if _may_break(before, after, forced=False):
                    result.append(current)
                    current = ""
                current += after
            result.append(current)
    return tuple(result)


def _split(word: str, room: float) -> list[str]:
    """A word wider than `room` ems, cut between clusters into pieces that fit (at least a cluster each)."""
    pieces: list[str] = []
    current = ""
    parts = clusters(word)
    for index, cluster in enumerate(parts):
        if current and em(current + cluster) > room and _may_break(parts[index - 1], cluster, forced=True):
            pieces.append(current)
            current = ""
        current += cluster
    pieces.append(current)
    return pieces


def _wrap(atoms: tuple[str, ...], room: float) -> tuple[list[str], bool]:
    """Greedy lines no wider than `room` ems; whether a word had to be split. A line's width is the sum
    of its pieces' (cached, so a long CJK text is shaped once), checked whole by `fit`."""
    lines: list[str] = []
    current, used, spaced, split = "", 0.0, False, False
    for atom in atoms:
        if atom == " ":
            spaced = bool(current)
            continue
        wide = em(atom) + (em(" ") if spaced else 0.0)
        if current and used + wide <= room:
            current, used = current + (" " if spaced else "") + atom, used + wide
        else:
            if current:
                lines.append(current)
            current, used = atom, em(atom)
            if used > room:
                split = True
                *whole, current = _split(atom, room)
                lines.extend(whole)
                used = em(current)
        spaced = False
    if current:
        lines.append(current)
    return lines, split


# --- fitting -----------------------------------------------------------------------------------------------


def _balanced(atoms: tuple[str, ...], room: float, lines: list[str]) -> list[str]:
    """The same number of lines, as even as they go: the narrowest measure that still gives that many
    (no "Committee" alone under two full lines)."""
    if len(lines) < 2:
        return lines
    low, high, best = max(em(atom) for atom in atoms if atom != " "), room, lines
    for _ in range(8):
        middle = (low + high) / 2
        trial, split = _wrap(atoms, middle)
        if len(trial) <= len(lines) and not split and all(em(line) <= room for line in trial):
            high, best = middle, trial
        else:
            low = middle
    return best


def fit(text: str, rule: Rule, width: float = LINE) -> Fitted:
    """`text` at the largest size of `rule` (in steps of half a point) at which it fits in its lines."""
    text = clean(text)
    if not text:
        return Fitted((), rule.largest)
    atoms = _atoms(text)
    # No size above the one at which the whole text, spaces included, fills every line exactly can fit.
    ceiling = width * rule.lines / max(em(text) * PT, 1e-6)
    size = max(rule.smallest, min(rule.largest, int(ceiling * 2) / 2))
    while size >= rule.smallest:
        room = width / (size * PT)
        lines, split = _wrap(atoms, room)
        if len(lines) <= rule.lines and not split and all(em(line) <= room for line in lines):
            return Fitted(tuple(_balanced(atoms, room, lines)), size)
        size -= 0.5
    room = width / (rule.smallest * PT)
    lines, split = _wrap(atoms, room)
    if not split:
        lines = _balanced(atoms, room, lines)
    # Shaping across a space can make a line a hair wider than its pieces: such a line is cut again.
    exact = [piece for line in lines for piece in ([line] if em(line) <= room else _split(line, room))]
    return Fitted(tuple(exact), rule.smallest)


def shorten(fitted: Fitted, count: int, width: float = LINE) -> Fitted:
    """The first `count` lines, the last ending in an ellipsis: the last resort when nothing else fits."""
    if len(fitted.lines) <= count:
        return fitted
    last = clusters(fitted.lines[count - 1])
    room = width / (fitted.size * PT)
    while last and em("".join(last).rstrip() + ELLIPSIS) > room:
        last.pop()
    lines = (*fitted.lines[: count - 1], "".join(last).rstrip() + ELLIPSIS)
    return Fitted(lines, fitted.size, shortened=True)


def _capped(rule: Rule, share: float) -> Rule:
    return replace(rule, largest=rule.smallest + share * (rule.largest - rule.smallest))


def _height(fitted: list[Fitted], gap: float) -> float:
    shown = [f for f in fitted if f.lines]
    return sum(f.height for f in shown) + gap * max(len(shown) - 1, 0)


def _middle(texts: Mapping[str, str]) -> tuple[list[tuple[str, Fitted]], float]:
    """The person's texts fitted to share `ZONE`, and the gap between them."""
    keys = [key for key in MIDDLE if clean(texts.get(key, ""))]
    room = ZONE[1] - ZONE[0]
    for step in range(10, -1, -1):  # everything shrinks together toward the smallest sizes, gaps too
        gap = TIGHT_GAP + (GAP - TIGHT_GAP) * step / 10
        fitted: list[Fitted] = []
        for key in keys:
            rule = _capped(RULES[key], step / 10)
            if key == "local" and fitted and keys[0] == "name":  # never larger than the Latin name
                rule = replace(rule, largest=max(rule.smallest, min(rule.largest, fitted[0].size)))
            fitted.append(fit(texts[key], rule))
        if _height(fitted, gap) <= room:
            return list(zip(keys, fitted, strict=True)), gap
    # The last resort: shorten, line by line, first what runs beyond its own lines, the organization before
    # the names; then down to one line each in the same order.
    order = sorted(range(len(keys)), key=lambda i: SHORTEN_FIRST.index(keys[i]))
    while _height(fitted, gap) > room:
        over = [i for i in order if len(fitted[i].lines) > RULES[keys[i]].lines]
        over = over or [i for i in order if len(fitted[i].lines) > 1]
        if not over:
            break
        fitted[over[0]] = shorten(fitted[over[0]], len(fitted[over[0]].lines) - 1)
    return list(zip(keys, fitted, strict=True)), gap


def layout(texts: Mapping[str, str]) -> list[Line]:
    """Every line of a card: `texts` by the keys of `RULES` (missing or empty ones are left out).

    The band's and the bottom's texts sit on fixed baselines in one line each; the person's texts are
    stacked, centred in `ZONE`. The local-script name is left out when it is the Latin one again."""
    texts = dict(texts)
    if clean(texts.get("local", "")) == clean(texts.get("name", "")):
        texts["local"] = ""
    lines: list[Line] = []
    for key, baseline in FIXED.items():
        fitted = fit(texts.get(key, ""), RULES[key])
        fitted = shorten(fitted, 1)
        lines += [
            Line(key, text, fitted.size, baseline, width_mm(text, fitted.size)) for text in fitted.lines
        ]
    middle, gap = _middle(texts)
    top = ZONE[0] + max(0.0, (ZONE[1] - ZONE[0] - _height([f for _, f in middle], gap)) / 2)
    for key, fitted in middle:
        step = fitted.size * PT
        for n, text in enumerate(fitted.lines):
            lines.append(
                Line(key, text, fitted.size, top + step * (ASCENT + n * LEADING), width_mm(text, fitted.size))
            )
        top += fitted.height + gap
    return sorted(lines, key=lambda line: line.baseline)  # reading order, also of the PDF's text
