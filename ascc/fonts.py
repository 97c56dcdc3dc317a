"""The fonts of every PDF (the registration letter, tables such as manifests, badges) and of the badges' PNG:
which font files this machine has, and which characters each covers. Pure: the standard library and fpdf2.

* Primary: Noto Sans CJK, Japanese face (Debian package ``fonts-noto-cjk``). It covers Latin (Vietnamese
  included), Cyrillic, Greek, kana, kanji, hanzi and hangul. Without it no PDF can be made: `FontMissing`.
* Fallbacks, for the characters the primary face lacks, each optional: first the scripts of ASCC's cities
  (`CITY_SCRIPTS`, from ``fonts-noto-core``), which tables and badges register in every document; then the
  other Noto scripts and DejaVu Sans (``fonts-dejavu-core``), which the letter adds only for the characters
  a name needs (`plan_fallbacks`). Characters no installed font covers (emoji) are left out by the callers.

A file is looked for once per process (a font installed later is used after a restart). What a file holds
(the face index of a collection, the code points it covers) is read once per version of the file (path,
size, modification time); a file fpdf2 cannot load is marked unusable until it changes.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import logging
import os
import threading
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.fonts import TTFFont

# fpdf2 subsets every font with fontTools, which logs some 350 INFO lines per PDF ("maxp pruned", ...):
# its warnings are enough.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/truetype/noto",  # Debian/Ubuntu fonts-noto-core
    "/usr/share/fonts/noto-cjk",  # Arch
    "/usr/share/fonts/noto",  # Arch, Alpine
    "/usr/share/fonts/google-noto-cjk",  # Fedora
    "/usr/share/fonts/google-noto-sans-cjk-fonts",  # Fedora
    "/usr/share/fonts/google-noto",  # Fedora
    "/usr/share/fonts/truetype/dejavu",  # Debian fonts-dejavu-core
    "/usr/share/fonts/dejavu",  # Fedora
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
)

# The primary face: the first of these that exists and loads.
CJK_FILES = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKjp-Regular.otf",
    "NotoSansJP-Regular.otf",
    "NotoSansJP-Regular.ttf",
)

# The scripts of ASCC's cities besides CJK and Latin (South and Southeast Asia), and Noto Sans for Latin,
# Greek and Cyrillic beyond the CJK font (Mongolian Ө ө Ү ү).
CITY_SCRIPTS = (
    "NotoSans-Regular.ttf",
    "NotoSansThai-Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansSinhala-Regular.ttf",
    "NotoSansBengali-Regular.ttf",
    "NotoSansTamil-Regular.ttf",
    "NotoSansKhmer-Regular.ttf",
    "NotoSansMyanmar-Regular.ttf",
    "NotoSansLao-Regular.ttf",
)
OTHER_SCRIPTS = (
    "NotoSansGurmukhi-Regular.ttf",
    "NotoSansGujarati-Regular.ttf",
    "NotoSansOriya-Regular.ttf",
    "NotoSansTelugu-Regular.ttf",
    "NotoSansKannada-Regular.ttf",
    "NotoSansMalayalam-Regular.ttf",
    "NotoSansThaana-Regular.ttf",
    "NotoSansMongolian-Regular.ttf",
    "NotoSansTaiViet-Regular.ttf",
    "NotoSansTaiTham-Regular.ttf",
    "NotoSansJavanese-Regular.ttf",
    "NotoSansBalinese-Regular.ttf",
    "NotoSansSundanese-Regular.ttf",
    "NotoSansBuginese-Regular.ttf",
    "NotoSansTagalog-Regular.ttf",
    "NotoSansCham-Regular.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansGeorgian-Regular.ttf",
    "NotoSansArmenian-Regular.ttf",
    "NotoSansEthiopic-Regular.ttf",
    "NotoSansSymbols-Regular.ttf",
    "NotoSansSymbols2-Regular.ttf",
    "DejaVuSans.ttf",
)
# Searched in this order for each character the primary face lacks.
FALLBACK_FILES = CITY_SCRIPTS + OTHER_SCRIPTS


class FontMissing(RuntimeError):
    """No usable CJK font is installed (Debian: ``apt-get install fonts-noto-cjk``)."""


@dataclass(frozen=True, eq=False)
class FontFile:
    path: str
    index: int  # face number inside a .ttc/.otc collection
    cmap: frozenset[int]  # code points the face has a glyph for


_cache_lock = threading.Lock()
_font_cache: dict[tuple[str, int, int], FontFile | None] = {}
_MAX_FACES = 16


@functools.cache
def find_font(name: str) -> str | None:
    """Where the font file `name` is: directly in one of the folders, else in a subfolder of one."""
    for folder in FONT_DIRS:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    for folder in FONT_DIRS:
        hits = sorted(glob.glob(os.path.join(folder, "**", name), recursive=True))
        if hits:
            return hits[0]
    return None


def _file_key(path: str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_size, st.st_mtime_ns)


def _probe_face(path: str, index: int) -> tuple[str, frozenset[int]]:
    """Open one face through fpdf2 and return its family name and covered code points."""
    probe = FPDF()
    probe.add_font("probe", "", path, collection_font_number=index)
    font = probe.fonts["probe"]
    if not isinstance(font, TTFFont):  # a font file always gives one; the core fonts have no file
        raise TypeError(f"{path} is not a TrueType or OpenType font")
    try:
        try:
            family = str(font.ttfont["name"].getDebugName(1) or "")
        except Exception:  # a name table fpdf2 or fontTools cannot read: the face is still usable
            family = ""
        return family, frozenset(font.cmap)
    finally:
        close = getattr(font, "close", None)
        if close is not None:
            close()


def _load_cjk(path: str) -> FontFile | None:
    first: FontFile | None = None
    faces = _MAX_FACES if path.lower().endswith((".ttc", ".otc")) else 1
    for index in range(faces):
        try:
            family, cmap = _probe_face(path, index)
        except Exception:
            break  # past the last face of the collection, or an unreadable file
        face = FontFile(path, index, cmap)
        if first is None:
            first = face
        upper = family.upper()
        if upper.endswith(" JP") and "MONO" not in upper:
            return face
    return first


def _load_plain(path: str) -> FontFile | None:
    try:
        _family, cmap = _probe_face(path, 0)
    except Exception:
        return None
    return FontFile(path, 0, cmap)


def _cached_font(path: str, *, cjk: bool) -> FontFile | None:
    key = _file_key(path)
    if key is None:
        return None
    with _cache_lock:
        if key not in _font_cache:
            _font_cache[key] = _load_cjk(path) if cjk else _load_plain(path)
        return _font_cache[key]


def mark_unusable(path: str) -> None:
    """fpdf2 failed to load `path` into a document: skip it until the file changes."""
    key = _file_key(path)
    with _cache_lock:
        for cached in list(_font_cache):
            if cached[0] == path:
                del _font_cache[cached]
        if key is not None:
            _font_cache[key] = None


def primary_font() -> FontFile:
    """The Japanese face of Noto Sans CJK; `FontMissing` when none is installed."""
    for name in CJK_FILES:
        path = find_font(name)
        if path is not None:
            font = _cached_font(path, cjk=True)
            if font is not None:
                return font
    raise FontMissing(
        "No Japanese font found: install Noto Sans CJK (Debian package fonts-noto-cjk, file "
        "NotoSansCJK-Regular.ttc)."
    )


def fallback_fonts(names: tuple[str, ...]) -> list[FontFile]:
    """The fallback fonts of `names` that are installed and load, in that order."""
    found = []
    for name in names:
        path = find_font(name)
        font = _cached_font(path, cjk=False) if path is not None else None
        if font is not None:
            found.append(font)
    return found


def plan_fallbacks(missing: set[str]) -> dict[FontFile, set[str]]:
    """Assign each character the primary font lacks to the first fallback font covering it."""
    plan: dict[FontFile, set[str]] = {}
    if not missing:
        return plan
    left = set(missing)
    for name in FALLBACK_FILES:
        path = find_font(name)
        if path is None:
            continue
        font = _cached_font(path, cjk=False)
        if font is None:
            continue
        covered = {ch for ch in left if ord(ch) in font.cmap}
        if covered:
            plan[font] = covered
            left -= covered
            if not left:
                break
    return plan


def shaping_available() -> bool:
    """Whether fpdf2 can shape complex scripts (Indic, Sinhala, Khmer, Arabic...): ``uharfbuzz`` is installed."""
    try:
        return importlib.util.find_spec("uharfbuzz") is not None
    except (ImportError, ValueError):
        return False
