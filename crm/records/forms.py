from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from crm.forms import IdSelectField, OwnerField

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
