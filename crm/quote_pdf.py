"""The quote as a clean PDF (fpdf2: pure Python, no system packages; DejaVu Sans for € and accents)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, format_date, format_decimal
from flask_babel import gettext as _
from fpdf import FPDF

from crm.models import Quote

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
INK = (31, 36, 48)
MUTED = (102, 112, 133)
LINE = (228, 231, 236)
BRAND = (47, 91, 234)


def _money(value: Decimal) -> str:
    from crm.formatting import money_exact

    return money_exact(value)


def render_quote_pdf(quote: Quote, locale: str | None = None) -> bytes:
    """The PDF bytes of a quote, in `locale` (the rep's language by default)."""
    opp = quote.opportunity
    with force_locale(
        locale or (opp.owner.locale if opp.owner else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    ):
        pdf = FPDF(format="A4", unit="mm")
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        pdf.set_title(_("Quote %(number)s", number=quote.number))
        pdf.set_author(current_app.config["COMPANY_NAME"])
        pdf.add_page()
        _header(pdf, quote)
        _lines(pdf, quote)
        _totals(pdf, quote)
        if quote.notes:
            pdf.ln(6)
            pdf.set_font("DejaVu", "", 9)
            pdf.set_text_color(*MUTED)
            pdf.multi_cell(0, 5, quote.notes)
        return bytes(pdf.output())


def _header(pdf: FPDF, quote: Quote) -> None:
    opp = quote.opportunity
    pdf.set_font("DejaVu", "B", 18)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 10, current_app.config["COMPANY_NAME"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 14)
    pdf.set_text_color(*INK)
    pdf.cell(0, 8, _("Quote %(number)s", number=quote.number), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(*MUTED)
    issued = quote.sent_at.date() if quote.sent_at else quote.created_at.date()
    pdf.cell(0, 5, _("Date: %(date)s", date=format_date(issued, "long")), new_x="LMARGIN", new_y="NEXT")
    if quote.valid_until:
        valid = _("Valid until: %(date)s", date=format_date(quote.valid_until, "long"))
        pdf.cell(0, 5, valid, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 5, _("For"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for line in filter(
        None,
        [
            opp.account.name if opp.account else None,
            opp.contact.display_name if opp.contact else None,
            opp.contact.email if opp.contact else None,
        ],
    ):
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 5, _("Subject: %(subject)s", subject=opp.name), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


COLUMNS = ((78, "L"), (18, "R"), (26, "R"), (16, "R"), (16, "R"), (28, "R"))


def _lines(pdf: FPDF, quote: Quote) -> None:
    heads = [_("Description"), _("Qty"), _("Unit price"), _("Disc."), _("VAT"), _("Total excl. VAT")]
    pdf.set_font("DejaVu", "B", 8.5)
    pdf.set_fill_color(*LINE)
    for (width, align), head in zip(COLUMNS, heads, strict=True):
        pdf.cell(width, 7, head, align=align, fill=True)
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    for line in quote.lines:
        cells = [
            line.description,
            format_decimal(
                line.quantity.normalize() if line.quantity == line.quantity.to_integral() else line.quantity
            ),
            _money(line.unit_price),
            f"{format_decimal(line.discount.normalize())} %" if line.discount else "",
            f"{format_decimal(line.vat_rate.normalize())} %",
            _money(line.net),
        ]
        y = pdf.get_y()
        pdf.multi_cell(COLUMNS[0][0], 6, cells[0], new_x="RIGHT", new_y="TOP")
        height = max(pdf.get_y() - y, 6)
        for (width, align), value in zip(COLUMNS[1:], cells[1:], strict=True):
            pdf.cell(width, 6, value, align=align)
        pdf.set_y(y + height)
        pdf.set_draw_color(*LINE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + sum(w for w, _a in COLUMNS), pdf.get_y())


def _totals(pdf: FPDF, quote: Quote) -> None:
    pdf.ln(3)
    label_w, value_w = 52, 30
    x = pdf.l_margin + sum(w for w, _a in COLUMNS) - label_w - value_w

    def row(label: str, value: str, bold: bool = False) -> None:
        pdf.set_x(x)
        pdf.set_font("DejaVu", "B" if bold else "", 10 if bold else 9)
        pdf.cell(label_w, 6, label)
        pdf.cell(value_w, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")

    row(_("Total excl. VAT"), _money(quote.total_net))
    for rate, _base, tax in quote.tax_by_rate():
        row(_("VAT %(rate)s %%", rate=format_decimal(rate.normalize())), _money(tax))
    row(_("Total incl. VAT"), _money(quote.total_gross), bold=True)
