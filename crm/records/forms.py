from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from crm.forms import IdSelectField, NumberField, OwnerField

PHONE = Regexp(r"^[+0-9 ().\-]{4,40}$", message=_l("Use digits, spaces and + ( ) . - only."))


class ReachableForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    phone = TelField(_l("Phone"), validators=[Optional(), PHONE])
    owner_id = OwnerField()
    opt_in = BooleanField(_l("Opted in to email"))
    unsubscribed = BooleanField(_l("Unsubscribed from email"))


class AccountForm(ReachableForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=200)])
    field_order = ("name", "email", "phone", "website", "owner_id", "opt_in", "unsubscribed")


class TaggedForm(ReachableForm):
    tags = StringField(
        _l("Tags"), validators=[Optional(), Length(max=500)], description=_l("Comma-separated")
    )


class ContactForm(TaggedForm):
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=120)])
    account_id = IdSelectField(_l("Account"))
    field_order = (
        "first_name",
        "last_name",
        "account_id",
        "job_title",
        "email",
        "phone",
        "owner_id",
        "tags",
        "opt_in",
        "unsubscribed",
    )


class LeadForm(TaggedForm):
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    company = StringField(_l("Company"), validators=[Optional(), Length(max=200)])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=80)])
    field_order = (
        "first_name",
        "last_name",
        "company",
        "source",
        "email",
        "phone",
        "owner_id",
        "tags",
        "opt_in",
        "unsubscribed",
    )


class DealForm(FlaskForm):
    """A new opportunity from an account's or a contact's page (or a lead's conversion)."""

    deal_name = StringField(_l("Opportunity name"), validators=[Optional(), Length(max=200)])
    stage_id = IdSelectField(_l("Pipeline and stage"))
    amount = NumberField(
        _l("Amount"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=9_999_999_999, message=_l("Enter an amount between 0 and 9,999,999,999.")),
        ],
    )

    def deal_is_complete(self) -> bool:
        """The opportunity has a name and a stage (each missing one gets its message)."""
        ok = True
        if not (self.deal_name.data or "").strip():
            self.deal_name.errors = [*self.deal_name.errors, _l("Enter a name.")]
            ok = False
        if self.stage_id.data is None and not self.stage_id.errors:
            self.stage_id.errors = [*self.stage_id.errors, _l("Choose a stage.")]
            ok = False
        return ok


class NewDealForm(DealForm):
    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        return self.deal_is_complete() and ok


class ConvertForm(DealForm):
    """A lead becomes an account (new, or one that exists), a contact, and maybe an opportunity."""

    account_id = IdSelectField(_l("Account"))
    account_name = StringField(_l("New account's name"), validators=[Optional(), Length(max=200)])
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    phone = TelField(_l("Phone"), validators=[Optional(), PHONE])
    with_deal = BooleanField(_l("Also create an opportunity"))

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        if self.account_id.data is None and not (self.account_name.data or "").strip():
            self.account_name.errors = [*self.account_name.errors, _l("Enter the account's name.")]
            ok = False
        if self.with_deal.data and not self.deal_is_complete():
            ok = False
        return ok
