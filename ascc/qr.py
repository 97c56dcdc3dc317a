"""QR codes for every printed document (badges, visa letters, certificates): one encoding (error correction M,
so a creased page still scans) and the two ways the documents draw it. Pure: qrcode only."""

from __future__ import annotations

import io
from collections.abc import Iterator

import qrcode
import qrcode.constants

QUIET = 4  # modules of white around the code, as the QR standard asks


def matrix(text: str) -> list[list[bool]]:
    """The modules of the code for `text`, without the quiet zone (the document leaves it white)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def dark_runs(modules: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """Dark runs per row as (x, y, length): far fewer shapes to draw than one per module."""
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                yield start, y, x - start
            else:
                x += 1


def png(text: str, module_px: int = 8) -> bytes:
    """The code of `text` as a PNG with its quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET, box_size=module_px)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()
