"""Flask CLI commands: `flask --app app create-user`, `flask --app app demo-data`."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import ROLES, User
from crm.services import ServiceError
from crm.services.users import create_user


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True)
    @click.option("--timezone", default=None, help="Default: the company's (COMPANY_TIMEZONE).")
    @click.password_option()
    def create_user_command(email: str, name: str, role: str, timezone: str | None, password: str) -> None:
        """Create a user (the first admin of a production install)."""
        from crm.passwords import password_problem

        problem = password_problem(password, email=email, name=name)
        if problem:
            raise click.BadParameter(problem, param_hint="password")
        try:
            user = create_user(email=email, name=name, password=password, role=role, timezone=timezone)
        except ServiceError as err:
            raise click.ClickException(str(err.message)) from err
        click.echo(f"Created {user.role} {user.email}")

    @app.cli.command("demo-data")
    @click.option("--if-empty", is_flag=True, help="only when the database has no users")
    def demo_data_command(if_empty: bool) -> None:
        """Load demo users, pipelines, accounts, contacts, leads and opportunities."""
        from crm.demo import DEMO_LOGINS, load_demo

        if if_empty and db.session.scalar(select(func.count()).select_from(User)):
            click.echo("Database already has data; demo data not loaded.")
            return
        load_demo()
        click.echo("Demo data loaded. Logins:")
        for email, password, role in DEMO_LOGINS:
            click.echo(f"  {role:<6} {email} / {password}")
