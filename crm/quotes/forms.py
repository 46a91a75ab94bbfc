from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crm.forms import IdSelectField, NumberField

PERCENT = NumberRange(min=0, max=100, message=_l("Between 0 and 100."))


class LineForm(FlaskForm):
    description = StringField(_l("Description"), validators=[DataRequired(), Length(max=500)])
    quantity = NumberField(
        _l("Qty"),
        places=None,
        default=Decimal("1"),
        validators=[
            InputRequired(),
            NumberRange(min=0, max=1_000_000, message=_l("Enter a quantity of 0 or more.")),
        ],
    )
    unit_price = NumberField(
        _l("Unit price"),
        places=None,
        default=Decimal("0"),
        validators=[
            InputRequired(),
            NumberRange(min=0, max=1_000_000_000, message=_l("Enter a price of 0 or more.")),
        ],
    )
    vat_rate = NumberField(
        _l("VAT %"), places=None, default=Decimal("20"), validators=[InputRequired(), PERCENT]
    )
    discount = NumberField(
        _l("Discount %"), places=None, default=Decimal("0"), validators=[Optional(), PERCENT]
    )

    def values(self) -> dict[str, object]:
        return {
            "description": self.description.data.strip(),
            "quantity": self.quantity.data,
            "unit_price": self.unit_price.data,
            "vat_rate": self.vat_rate.data,
            "discount": self.discount.data or Decimal("0"),
        }


class QuoteForm(FlaskForm):
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    notes = TextAreaField(
        _l("Notes on the quote"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3}
    )


class SendForm(FlaskForm):
    sender_id = IdSelectField(
        _l("From"), validators=[InputRequired(message=_l("Choose a verified sender address."))]
    )
    template_id = IdSelectField(
        _l("Email template"), description=_l("Optional: a plain message is written otherwise.")
    )
