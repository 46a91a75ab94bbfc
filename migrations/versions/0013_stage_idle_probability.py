"""stages: idle after N days (the board flags cards staying longer) and a win probability

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:00:00

Opportunities already keep when they entered their stage (stage_entered_at, since 0001).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stages") as batch:
        batch.add_column(sa.Column("idle_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("probability", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("stages") as batch:
        batch.drop_column("probability")
        batch.drop_column("idle_days")
