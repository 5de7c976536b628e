"""The report as a list of blocks, and its two renderings: self-contained HTML and PDF.

The debrief builds one `Document` (headings, paragraphs, tables, charts, lists);
`to_html` inlines every chart as a data URI so the file opens offline, and
`to_pdf` writes text pages (with tables) and chart pages through a small PDF writer
(`analysis.pdfwriter`; no system libraries needed).
"""

from __future__ import annotations

import base64
import html
import textwrap
from dataclasses import dataclass, field

from .charts import RATING_COLOURS
from .pdfwriter import PAGE_H, PAGE_W, PdfWriter


@dataclass(frozen=True)
class Cell:
    text: str
    cls: str = ""  # css class: "P" "S" "M" "U" (rating colours), "ok", "bad", "num"
    edit: str = ""  # "rating" (an override selector) or "note" (a free-text box)


@dataclass
class Heading:
    text: str
    level: int = 2
    anchor: str = ""


@dataclass
class Para:
    text: str
    cls: str = ""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    id: str = ""  # an HTML id ("plan": the improvement plan, which the page can download as CSV)
    download: str = ""  # label of a button that downloads this table as CSV, as edited on the page


@dataclass
class Chart:
    name: str  # file stem under charts/
    caption: str
    png: bytes
    rgb: tuple[int, int, bytes] | None = None  # raw pixels, when the chart was drawn here


@dataclass
class Items:
    items: list[str]
    cls: str = ""
    editable: bool = False
    links: list[str] | None = None  # an anchor per item (a table of contents)


Block = Heading | Para | Table | Chart | Items


@dataclass
class Document:
    title: str
    lang: str
    banner: str
    save_label: str = "Save"
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


# ---------------------------------------------------------------- HTML

CSS = """
:root { --P: %(P)s; --S: %(S)s; --M: %(M)s; --U: %(U)s; }
body { font-family: "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 18px;
       line-height: 1.45; margin: 0 auto; max-width: 1280px; padding: 0 24px 60px; color: #111; }
h1 { font-size: 34px; margin: 8px 0; } h2 { font-size: 26px; border-bottom: 3px solid #0072B2;
     padding-bottom: 4px; margin-top: 48px; } h3 { font-size: 21px; margin-top: 28px; }
.banner { background: #111; color: #fff; font-weight: 700; letter-spacing: .04em; text-align: center;
          padding: 8px; margin: 0 -24px 16px; }
table { border-collapse: collapse; width: 100%%; margin: 12px 0; font-size: 16px; }
th, td { border: 1px solid #bbb; padding: 5px 8px; vertical-align: top; text-align: left; }
th { background: #eef3f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.P, td.S, td.M, td.U { font-weight: 700; text-align: center; font-size: 20px; }
td.P { background: var(--P); color: #fff; } td.S { background: var(--S); }
td.M { background: var(--M); } td.U { background: var(--U); color: #fff; }
td.NA { font-weight: 700; text-align: center; font-size: 18px; background: #eee; color: #333; }
td.ok { color: #006b4f; font-weight: 700; } td.bad { color: #b34700; font-weight: 700; }
figure { margin: 16px 0; } figure img { max-width: 100%%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 15px; color: #444; }
.nodata { border: 2px dashed #999; padding: 18px; color: #444; font-style: italic; }
.note { color: #444; font-size: 16px; }
ul.edit li { outline: none; } ul.edit li:focus { background: #fffbe0; }
ul.strength li::marker { content: "+  "; color: #009E73; font-weight: 700; }
ul.improvement li::marker { content: "△  "; color: #D55E00; font-weight: 700; }
ul.strength li, ul.improvement li, ul.not_applicable li { margin-bottom: 10px; }
ul.not_applicable li::marker { content: "○  "; color: #666; font-weight: 700; }
textarea { width: 100%%; min-height: 2.4em; font: inherit; font-size: 15px; box-sizing: border-box; }
td.area { width: 30%%; } td.action { width: 34%%; } td.action textarea { min-height: 7.5em; }
td.cap { width: 13%%; min-width: 9em; } td.cap textarea { min-height: 7.5em; } td.org textarea { min-height: 4.5em; }
td.date { min-width: 7.2em; } td.org { min-width: 8em; }
select { font: inherit; font-size: 16px; }
nav ol { columns: 2; }
button.csv { font: inherit; font-size: 15px; padding: 6px 12px; background: #0072B2; color: #fff; border: 0;
             border-radius: 4px; cursor: pointer; }
#save { position: fixed; top: 44px; right: 16px; font: inherit; font-size: 15px; padding: 6px 12px;
        background: #0072B2; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
@media print { #save { display: none; } textarea, select { border: none; } .banner { position: static; } h2 { break-before: auto; }
               figure, table { break-inside: avoid; } }
""" % RATING_COLOURS  # noqa: UP031 - CSS braces make str.format unreadable


def _cell_html(c: Cell, lang: str) -> str:
    cls = f' class="{html.escape(c.cls)}"' if c.cls else ""
    if c.edit == "rating":
        opts = "".join(f"<option>{r}</option>" for r in ("", "P", "S", "M", "U"))
        return f"<td{cls}><select aria-label=\"override\">{opts}</select></td>"
    if c.edit == "note":
        return f"<td{cls}><textarea aria-label=\"note\">{html.escape(c.text)}</textarea></td>"
    return f"<td{cls}>{html.escape(c.text)}</td>"


def to_html(doc: Document) -> str:
    out = [f'<!DOCTYPE html>\n<html lang="{doc.lang}"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(doc.title)}</title><style>{CSS}</style></head><body>",
           f'<div class="banner">{html.escape(doc.banner)}</div>']
    for b in doc.blocks:
        if isinstance(b, Heading):
            anchor = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
            out.append(f"<h{b.level}{anchor}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            cls = f' class="{html.escape(b.cls)}"' if b.cls else ""
            body = "<br>".join(html.escape(line) for line in b.text.split("\n"))
            out.append(f"<p{cls}>{body}</p>" if b.cls != "nodata" else f'<div class="nodata">{body}</div>')
        elif isinstance(b, Table):
            cap = f"<caption>{html.escape(b.caption)}</caption>" if b.caption else ""
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.headers)
            thead = f"<thead><tr>{head}</tr></thead>" if any(b.headers) else ""
            rows = "".join("<tr>" + "".join(_cell_html(c, doc.lang) for c in r) + "</tr>" for r in b.rows)
            tid = f' id="{html.escape(b.id)}"' if b.id else ""
            out.append(f"<table{tid}>{cap}{thead}<tbody>{rows}</tbody></table>")
            if b.download and b.id:
                out.append(f'<button type="button" class="csv" data-table="{html.escape(b.id)}">'
                           f"{html.escape(b.download)}</button>")
        elif isinstance(b, Chart):
            data = base64.b64encode(b.png).decode("ascii")
            out.append(f'<figure><img alt="{html.escape(b.caption)}" src="data:image/png;base64,{data}">'
                       f"<figcaption>{html.escape(b.caption)}</figcaption></figure>")
        elif isinstance(b, Items):
            attrs = ' contenteditable="true"' if b.editable else ""
            cls = " ".join(x for x in (b.cls, "edit" if b.editable else "") if x)
            if b.links:
                lis = "".join(f'<li><a href="#{html.escape(a)}">{html.escape(i)}</a></li>'
                              for i, a in zip(b.items, b.links, strict=True))
            else:
                lis = "".join(f"<li{attrs}>" + "<br>".join(html.escape(x) for x in i.split("\n")) + "</li>"
                              for i in b.items)
            out.append(f'<ul class="{cls}">{lis}</ul>')
    out.append(f'<button id="save" type="button">{html.escape(doc.save_label)}</button>')
    out.append(f"<script>{SAVE_JS}</script>")
    out.append("</body></html>\n")
    return "\n".join(out)


# Keeps the evaluator's ratings, notes and edited findings: writes the page as it stands
# (form values copied into the markup) to a new file. No network, no external code.
SAVE_JS = """
document.getElementById('save').addEventListener('click', function () {
  document.querySelectorAll('textarea').forEach(function (t) { t.textContent = t.value; });
  document.querySelectorAll('select').forEach(function (s) {
    Array.prototype.forEach.call(s.options, function (o) {
      if (o.selected) { o.setAttribute('selected', ''); } else { o.removeAttribute('selected'); } });
  });
  var blob = new Blob(['<!DOCTYPE html>\\n' + document.documentElement.outerHTML], {type: 'text/html'});
  var a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'report-edited.html';
  document.body.appendChild(a); a.click(); a.remove();
});
// A table as CSV, with what the evaluator typed into it (the improvement plan, to track after class).
document.querySelectorAll('button.csv').forEach(function (b) {
  b.addEventListener('click', function () {
    var table = document.getElementById(b.getAttribute('data-table'));
    var cell = function (c) {
      var t = c.querySelector('textarea');
      var v = (t ? t.value : c.textContent).replace(/"/g, '""');
      return '"' + v + '"';
    };
    var lines = Array.prototype.map.call(table.querySelectorAll('tr'), function (r) {
      return Array.prototype.map.call(r.querySelectorAll('th, td'), cell).join(',');
    });
    var blob = new Blob(['\\ufeff' + lines.join('\\n') + '\\n'], {type: 'text/csv'});
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = b.getAttribute('data-table') + '-edited.csv';
    document.body.appendChild(a); a.click(); a.remove();
  });
});
"""


# ---------------------------------------------------------------- PDF

X0 = 40.0  # left margin, points
TEXT_W = PAGE_W - 2 * X0
CHAR_W = 0.5  # mean Helvetica glyph width, in ems (for wrapping and column widths)
STYLES = {"h": (15.0, "bold", 26.0), "h3": (12.0, "bold", 19.0), "b": (9.0, "bold", 12.0),
          "p": (9.5, "regular", 13.0), "cell": (8.5, "regular", 11.0), "gap": (9.5, "regular", 7.0)}
TOP, BOTTOM = 48.0, PAGE_H - 36.0


def _wrap(text: str, width_pt: float, size: float) -> list[str]:
    n = max(int(width_pt / (size * CHAR_W)), 4)
    if len(text) <= n and "\n" not in text:
        return [text]
    out: list[str] = []
    for para in text.split("\n"):
        out.extend(textwrap.wrap(para, n, break_long_words=True) or [""])
    return out


def _column_widths(table: Table, size: float) -> list[float]:
    """Widths (pt) from each column's longest text, shrinking the widest columns to fit the page."""
    ncol = max(len(table.headers), max((len(r) for r in table.rows), default=0))
    natural = []
    for j in range(ncol):
        texts = [table.headers[j] if j < len(table.headers) else ""]
        texts += [r[j].text if not r[j].edit else "________" for r in table.rows if j < len(r)]
        longest = max((len(x) for x in texts), default=4)
        natural.append(min(max(longest, 4), 60) * size * CHAR_W + 10)
    total = sum(natural)
    if total <= TEXT_W:
        return natural
    # Shrink columns above a common cap until the row fits.
    lo, hi = 0.0, max(natural)
    for _ in range(30):
        cap = (lo + hi) / 2
        if sum(min(w, cap) for w in natural) > TEXT_W:
            hi = cap
        else:
            lo = cap
    return [min(w, lo) for w in natural]


class _PdfLayout:
    """Places lines and table rows on text pages; charts get pages of their own."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.pdf = PdfWriter(doc.title)
        self.items: list[tuple] = []
        self.y = TOP

    def flush(self) -> None:
        if self.items:
            self.pdf.text_page([(9.0, "bold", self.doc.banner, 22.0, X0)] + self.items)
        self.items, self.y = [], TOP

    def room(self, height: float) -> None:
        if self.y + height > BOTTOM:
            self.flush()

    def line(self, style: str, text: str, x: float = X0) -> None:
        size, weight, step = STYLES[style]
        self.room(step)
        self.y += step
        self.items.append((size, weight, text, self.y, x))

    def gap(self) -> None:
        if self.items:
            self.y += STYLES["gap"][2]

    def table(self, t: Table) -> None:
        size, _, step = STYLES["cell"]
        widths = _column_widths(t, size)

        def row(cells: list[str], weight: str) -> tuple[list[list[str]], str, float]:
            wrapped = [_wrap(c, w - 8, size) for c, w in zip(cells, widths, strict=False)]
            return wrapped, weight, max((len(x) for x in wrapped), default=1) * step + 3

        header = row(list(t.headers), "bold") if any(t.headers) else None
        if t.caption:
            self.line("b", t.caption)
        if header is not None:
            self.room(header[2] + step * 2)
            self._draw_row(header, widths, size, step)
        for r in t.rows:
            body = row(["____" if c.edit else c.text for c in r], "regular")
            if self.y + body[2] > BOTTOM:
                self.flush()
                if header is not None:  # repeat the header on the new page
                    self._draw_row(header, widths, size, step)
            self._draw_row(body, widths, size, step)
        self.gap()

    def _draw_row(self, row: tuple[list[list[str]], str, float], widths: list[float], size: float,
                  step: float) -> None:
        wrapped, weight, h = row
        x = X0
        for lines, w in zip(wrapped, widths, strict=False):
            for k, text in enumerate(lines):
                self.items.append((size, weight, text, self.y + step * (k + 1), x))
            x += w
        self.y += h
        self.items.append(("rule", self.y - 1.5, X0, X0 + sum(widths)))


def to_pdf(doc: Document) -> bytes:
    """The report as PDF: text pages with real tables; each chart on its own page, titled by
    the headings just before it."""
    lay = _PdfLayout(doc)
    blocks = doc.blocks
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if isinstance(b, Heading):
            j = i
            while j < len(blocks) and isinstance(blocks[j], Heading):
                j += 1
            if j < len(blocks) and isinstance(blocks[j], Chart):
                chart = blocks[j]
                assert isinstance(chart, Chart)
                lay.flush()
                titles = [(15.0 if h.level <= 2 else 12.0, h.text) for h in blocks[i:j] if isinstance(h, Heading)]
                lay.pdf.image_page(chart.png, chart.caption, doc.banner, rgb=chart.rgb, titles=titles)
                i = j + 1
                continue
            lay.gap()
            style = "h" if b.level <= 2 else "h3"
            lay.room(STYLES[style][2] * 4)  # no heading alone at the foot of a page
            lay.line(style, b.text)
        elif isinstance(b, Para):
            for w in _wrap(b.text, TEXT_W, STYLES["p"][0]):
                lay.line("p", w)
        elif isinstance(b, Items):
            mark = {"strength": "+ ", "improvement": "- "}.get(b.cls, "\u2022 ")
            for it in b.items:
                for k, w in enumerate(_wrap(it, TEXT_W - 14, STYLES["p"][0])):
                    lay.line("p", (mark if k == 0 else "") + w, X0 + (0 if k == 0 else 10))
        elif isinstance(b, Table):
            lay.table(b)
        elif isinstance(b, Chart):
            lay.flush()
            lay.pdf.image_page(b.png, b.caption, doc.banner, rgb=b.rgb)
        i += 1
    lay.flush()
    return lay.pdf.to_bytes()
