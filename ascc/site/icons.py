"""The app's icons (web app manifest, home screen) drawn from the favicon's design at any size. Pure: Pillow.

static/img/favicon.ico is 48 pixels: a blue rounded square, three white towers, a green ground line. Scaling
that bitmap up blurs it, so the same shapes are drawn again here (in the favicon's 48-unit grid, supersampled),
and `make icons` writes the PNGs that static/img keeps: icon-192.png, icon-512.png, icon-maskable-512.png.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (0, 90, 156)  # --brand of static/css/app.css, the favicon's square
GROUND = (8, 121, 72)  # the favicon's green line
TOWERS = ((10, 23, 17, 38), (20, 13, 28, 38), (31, 19, 38, 38))  # left, top, right, bottom in 48 units
GROUND_LINE = (6, 39, 42, 42)
CORNER = 8
SIZES = {"icon-192.png": (192, False), "icon-512.png": (512, False), "icon-maskable-512.png": (512, True)}


def draw(size: int, maskable: bool = False) -> bytes:
    """The icon as PNG bytes. `maskable`: a full square with the towers inside the central safe circle (80%),
    for launchers that cut their own shape."""
    scale = 4  # supersampling, for smooth edges once reduced
    canvas = size * scale
    image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    unit = canvas / 48
    if maskable:
        pen.rectangle((0, 0, canvas, canvas), fill=BRAND)
        unit *= 0.72  # the 36-unit drawing within the safe circle, centred
    else:
        pen.rounded_rectangle((0, 0, canvas - 1, canvas - 1), radius=CORNER * unit, fill=BRAND)
    offset = (canvas - 48 * unit) / 2

    def box(shape: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
        left, top, right, bottom = shape
        return (offset + left * unit, offset + top * unit, offset + right * unit, offset + bottom * unit)

    for tower in TOWERS:
        pen.rectangle(box(tower), fill="white")
    pen.rectangle(box(GROUND_LINE), fill=GROUND)
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()


def write(folder: Path) -> list[Path]:
    written = []
    for name, (size, maskable) in SIZES.items():
        path = folder / name
        path.write_bytes(draw(size, maskable))
        written.append(path)
    return written


if __name__ == "__main__":  # python -m ascc.site.icons static/img
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "static/img")):
        print(path, path.stat().st_size, "bytes")
