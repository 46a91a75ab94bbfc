"""Configuration from environment variables, in one class."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent


def load_env(path: Path = ROOT / ".env") -> bool:
    """Read `.env` into the environment; a variable already set there wins. True if read."""
    return load_dotenv(path, override=False)


# Before any setting is read (INSTANCE below): the app, `make run` and worker.py all import this.
load_env()
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'crm.sqlite3'}"
    # Heroku-style URLs name the old driver; we ship psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Every setting the app reads; each maps to an environment variable (see README)."""

    def __init__(self) -> None:
        self.ENV_NAME = os.environ.get("CRM_ENV", "development")
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = database_url()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLITE_BUSY_SECONDS = float(os.environ.get("SQLITE_BUSY_SECONDS", "30"))
        self.REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "1025"))
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "crm@localhost")
        self.MAIL_SUPPRESS_SEND = False  # tests send to a real SMTP server too
        self.MAIL_DOMAIN = os.environ.get("MAIL_DOMAIN", "salesloop.local")  # right side of Message-IDs
        self.MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
        self.MAIL_RETRY_BASE_SECONDS = int(os.environ.get("MAIL_RETRY_BASE_SECONDS", "30"))
        self.MAIL_REQUEUE_SECONDS = int(os.environ.get("MAIL_REQUEUE_SECONDS", "30"))
        self.MAIL_SENDING_LEASE_SECONDS = int(os.environ.get("MAIL_SENDING_LEASE_SECONDS", "120"))
        self.TRIGGER_RETRY_BASE_SECONDS = int(os.environ.get("TRIGGER_RETRY_BASE_SECONDS", "5"))
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
        # Secret the mail provider posting replies to /m/inbound sends in X-Inbound-Token or as the
        # basic-auth password (empty: endpoint off).
        self.INBOUND_TOKEN = os.environ.get("INBOUND_TOKEN", "")
        self.UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE / "uploads"))
        self.UPLOAD_MAX_MB = int(os.environ.get("UPLOAD_MAX_MB", "10"))
        self.MAX_CONTENT_LENGTH = (self.UPLOAD_MAX_MB + 1) * 1024 * 1024
        # Directory of the local SMTP sink's Maildir, shown to admins under Settings > Mailbox.
        self.MAIL_SINK_DIR = os.environ.get("MAIL_SINK_DIR", "")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.ENV_NAME not in {"development", "test"}
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_DEFAULT_TIMEZONE = os.environ.get("COMPANY_TIMEZONE", "Europe/Paris")
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "crm" / "translations")
        self.LANGUAGES = ["en", "fr"]
        self.CURRENCY = os.environ.get("CURRENCY", "EUR")
        self.COMPANY_NAME = os.environ.get("COMPANY_NAME", "Salesloop")
        # werkzeug method for new password hashes (the suite sets a cheap one: hashing is not under test).
        self.PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
        # Login attempts (right or wrong) per account, from a browser that never logged in to it,
        # and per client IP: counted atomically in Redis before any password is checked.
        self.LOGIN_LIMIT_ACCOUNT = os.environ.get("LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes")
        self.LOGIN_LIMIT_IP = os.environ.get("LOGIN_LIMIT_IP", "30 per minute; 300 per hour")
        self.RATELIMIT_KEY_PREFIX = "crm-limits"
        self.RATELIMIT_STRATEGY = "moving-window"
        self.RATELIMIT_SWALLOW_ERRORS = True  # Redis away: throttle in memory rather than refuse logins
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_HEADERS_ENABLED = True
        # Proxies in front of the app (1 on Heroku's router): client IPs come from X-Forwarded-For.
        self.PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
        self.BOARD_PAGE_SIZE = int(os.environ.get("BOARD_PAGE_SIZE", "25"))
        self.SWEEP_INTERVAL = int(os.environ.get("SWEEP_INTERVAL", "5"))
        self.SWEEP_GRACE_SECONDS = int(os.environ.get("SWEEP_GRACE_SECONDS", "10"))
