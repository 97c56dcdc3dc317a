"""Text of a PDF as a viewer shows it, for PDFs fpdf2 writes with Noto Sans CJK.

fpdf2 writes the CJK font (CID-keyed CFF) with an embedded encoding CMap of two-byte codes that pypdf
does not parse (it would read NUL + character); declaring those fonts Identity-H first makes pypdf map
the codes through the font's own ToUnicode table, as PDF viewers and poppler's pdftotext do.
"""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.generic import NameObject


def pdf_text(pdf: bytes, first_page_only: bool = False) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if font.get("/Subtype") == "/Type0" and not isinstance(
                font["/Encoding"].get_object(), NameObject
            ):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    pages = reader.pages[:1] if first_page_only else reader.pages
    return "\n".join(page.extract_text() for page in pages)
