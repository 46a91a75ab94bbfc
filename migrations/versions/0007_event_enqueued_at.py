"""domain events remember when they were last handed to the queue

Events travel to the worker in batches (one RQ job for up to 50 events), so the sweep can no
longer ask Redis about one job per event: it re-enqueues unprocessed events whose last hand-over
is older than the requeue delay, as it does for outbox mail and enrollments.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 05:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("domain_events") as batch_op:
        batch_op.add_column(sa.Column("enqueued_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("domain_events") as batch_op:
        batch_op.drop_column("enqueued_at")
