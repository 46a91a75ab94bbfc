"""Unbound Flask extensions; `create_app` binds them."""

from flask import current_app
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from redis import Redis
from sqlalchemy import MetaData

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
mail = Mail()
babel = Babel()
htmx = HTMX()
# Login throttling; counters in Redis (RATELIMIT_STORAGE_URI), no limit on other routes.
limiter = Limiter(key_func=get_remote_address)


def redis_conn() -> Redis:
    """The app's Redis connection (one pool per app): queues, caches, counters all share it."""
    conn = current_app.extensions.get("crm_redis")
    if conn is None:
        conn = Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["crm_redis"] = conn
    return conn
