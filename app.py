"""The application factory: config, extensions, blueprints, CLI commands."""

from __future__ import annotations

from typing import Any

from flask import Flask

from crm.config import INSTANCE, Config
from crm.extensions import babel, csrf, db, htmx, limiter, login, mail, migrate


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; `overrides` win over the environment (tests use them)."""
    from crm import logs

    logs.configure()  # before Flask adds its own handler: every line in one format
    app = Flask(__name__, instance_path=str(INSTANCE), instance_relative_config=True)
    app.config.from_object(Config())
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from crm import database

    database.configure(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True)
    login.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)

    from automation import wiring
    from crm import cache, health, i18n, web  # noqa: F401  (cache: its listeners move versions on, web and worker)

    wiring.register()

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    web.init_app(app)
    health.init_app(app)

    for bp in _blueprints():
        app.register_blueprint(bp)

    from crm.cli import register as register_cli

    register_cli(app)
    return app


def _blueprints() -> list:  # type: ignore[type-arg]
    from crm.actions.routes import bp as actions
    from crm.agenda.routes import bp as agenda
    from crm.auth.profile import bp as profile
    from crm.auth.routes import bp as auth
    from crm.board.routes import bp as board
    from crm.files import bp as files
    from crm.marketing.campaigns import bp as campaigns
    from crm.marketing.maillog import bp as maillog
    from crm.marketing.senders import bp as senders
    from crm.marketing.templates import bp as templates
    from crm.notifications.routes import bp as notifications
    from crm.opportunities.routes import bp as opportunities
    from crm.public.inbound import bp as inbound
    from crm.public.routes import bp as public
    from crm.quotes.routes import bp as quotes
    from crm.records.bulk import bp as bulk
    from crm.records.conversion import bp as conversion
    from crm.records.csv_routes import bp as records_csv
    from crm.records.routes import bp as records
    from crm.scenarios.builder import bp as scenarios
    from crm.scenarios.enroll import bp as enroll
    from crm.scenarios.runs import bp as scenario_runs
    from crm.scenarios.step_files import bp as step_files
    from crm.search.routes import bp as search
    from crm.settings.lists import bp as settings_lists
    from crm.settings.mailbox import bp as mailbox
    from crm.settings.pipelines import bp as pipelines
    from crm.settings.users import bp as users
    from crm.triggers.routes import bp as triggers
    from crm.triggers.runs import bp as trigger_runs

    work = [
        auth,
        profile,
        board,
        opportunities,
        records,
        records_csv,
        conversion,
        bulk,
        files,
        public,
        inbound,
        actions,
        agenda,
        quotes,
        notifications,
        enroll,
        search,
    ]
    settings = [
        pipelines,
        users,
        senders,
        templates,
        campaigns,
        maillog,
        mailbox,
        settings_lists,
        scenarios,
        scenario_runs,
        step_files,
        triggers,
        trigger_runs,
    ]
    return work + settings
