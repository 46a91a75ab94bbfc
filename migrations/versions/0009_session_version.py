"""users carry a session version; login throttling moves to Redis

Sessions and remember-me cookies name the user as "<id>-<session version>": logging out or a new
password moves the version on, which ends every session of that user. The per-account failure
counter and lock (failed_logins, locked_until) give way to Flask-Limiter's counters in Redis.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_column("session_version")
