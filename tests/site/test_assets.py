"""Static files from memory: names the file system cannot open are simply not found."""

from __future__ import annotations

from pathlib import Path

from ascc.site.assets import AssetCache


def test_assets_refuse_names_the_file_system_cannot_open_and_remember_no_misses(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.css").write_text("body { margin: 0 }")
    (tmp_path.parent / "outside.txt").write_text("secret")
    cache = AssetCache(tmp_path)
    hostile = ("\x00", "css/app.css\x00.png", "x" * 10_000, "../outside.txt", "/css/../../outside.txt", "css")
    assert [cache.get(name) for name in hostile] == [None] * len(hostile)
    found = cache.get("css/app.css")
    assert (found.body, found.media_type) == (b"body { margin: 0 }", "text/css")
    # Misses are not kept: a client inventing names must not fill the memory.
    assert list(cache._assets) == ["css/app.css"]
