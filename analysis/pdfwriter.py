"""A small PDF 1.4 writer: text pages in the standard Helvetica fonts and full-page PNG images.

Why not matplotlib's PDF backend: laying out and subsetting fonts glyph by glyph made a
long report take seconds; here text uses the PDF base-14 fonts (nothing to embed, every
viewer has them, WinAnsi covers Spanish) and charts are the report's PNGs, decoded
once with Pillow (a matplotlib dependency) and stored Flate-compressed.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field

PAGE_W, PAGE_H = 842.0, 595.0  # A4 landscape, points

# Characters outside WinAnsi (cp1252) that the report uses, with readable stand-ins.
_FALLBACK = str.maketrans({"✓": "OK", "✗": "X", "≥": ">=", "≤": "<=", "△": "-", "→": "->", "＋": "+",
                           "−": "-", "\u2009": " ", "\u202f": " "})


def _pdf_string(text: str) -> bytes:
    raw = text.translate(_FALLBACK).encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


@dataclass
class _Page:
    content: bytearray = field(default_factory=bytearray)
    image: int | None = None  # index into the writer's images


class PdfWriter:
    """Collect pages, then `bytes()` the document."""

    FONTS = {"regular": "Helvetica", "bold": "Helvetica-Bold"}

    def __init__(self, title: str = "") -> None:
        self.title = title
        self.pages: list[_Page] = []
        self.images: list[tuple[int, int, bytes]] = []  # (width, height, flate RGB data)

    def text_page(self, items: list[tuple]) -> None:
        """A page of text lines `(size pt, "regular"|"bold", text, y, x)` (y from the top, pt)
        and horizontal rules `("rule", y, x0, x1)`."""
        page = _Page()
        for item in items:
            if item[0] == "rule":
                _, y, x0, x1 = item
                page.content += b"0.75 G 0.5 w %.1f %.1f m %.1f %.1f l S 0 G\n" % (x0, PAGE_H - y, x1, PAGE_H - y)
                continue
            size, weight, text, y, x = item
            font = b"/F2" if weight == "bold" else b"/F1"
            page.content += (b"BT " + font + b" %.1f Tf %.1f %.1f Td " % (size, x, PAGE_H - y) + _pdf_string(text)
                             + b" Tj ET\n")
        self.pages.append(page)

    def image_page(self, png: bytes, caption: str = "", header: str = "",
                   rgb: tuple[int, int, bytes] | None = None, titles: list[tuple[float, str]] = ()) -> None:
        """A page showing one image, scaled to fit, with a caption below and a header line.

        `rgb` (width, height, raw 8-bit RGB) skips decoding the PNG.
        """
        if rgb is None:
            from PIL import Image

            with Image.open(io.BytesIO(png)) as im:
                conv = im.convert("RGB")
                rgb = (conv.size[0], conv.size[1], conv.tobytes())
        w, h, raw = rgb
        self.images.append((w, h, zlib.compress(raw, 1)))
        top = 40.0 + sum(size * 1.5 for size, _ in titles)
        box_w, box_h = PAGE_W - 60, PAGE_H - 50 - top
        scale = min(box_w / w, box_h / h)
        dw, dh = w * scale, h * scale
        x, y = (PAGE_W - dw) / 2, 50 + (box_h - dh) / 2
        page = _Page(image=len(self.images) - 1)
        ty = 40.0
        for size, text in titles:
            ty += size * 1.5
            page.content += b"BT /F2 %.1f Tf 40 %.1f Td " % (size, PAGE_H - ty) + _pdf_string(text) + b" Tj ET\n"
        page.content += b"q %.2f 0 0 %.2f %.2f %.2f cm /Im0 Do Q\n" % (dw, dh, x, y)
        if caption:
            page.content += b"BT /F1 10 Tf 30 30 Td " + _pdf_string(caption) + b" Tj ET\n"
        if header:
            page.content += b"BT /F2 9 Tf 30 %.1f Td " % (PAGE_H - 22) + _pdf_string(header) + b" Tj ET\n"
        self.pages.append(page)

    def to_bytes(self) -> bytes:
        objs: list[bytes] = []

        def add(body: bytes) -> int:
            objs.append(body)
            return len(objs)

        catalog = add(b"")  # filled in below
        pages_id = add(b"")
        f1 = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        f2 = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
        img_ids = []
        for w, h, data in self.images:
            img_ids.append(add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
                               b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(data))
                               + data + b"\nendstream"))
        kids = []
        for p in self.pages:
            stream = zlib.compress(bytes(p.content))
            cid = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
            xobj = b" /XObject << /Im0 %d 0 R >>" % img_ids[p.image] if p.image is not None else b""
            kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                            b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >>%s >> >>"
                            % (pages_id, PAGE_W, PAGE_H, cid, f1, f2, xobj)))
        objs[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
        objs[pages_id - 1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
                              + b"] /Count %d >>" % len(kids))
        # Document info strings are PDFDocEncoding, not WinAnsi: UTF-16 keeps every character.
        title = b"<FEFF" + self.title.encode("utf-16-be").hex().upper().encode("ascii") + b">"
        info = add(b"<< /Title " + title + b" /Creator (sitroom) >>")
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(objs, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objs) + 1, catalog, info, xref)
        return bytes(out)
