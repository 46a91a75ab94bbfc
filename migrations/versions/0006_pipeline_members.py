"""restricted pipelines and their members

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 00:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pipelines") as batch_op:
        batch_op.add_column(sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "pipeline_members",
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pipeline_id"], ["pipelines.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pipeline_id", "user_id"),
    )


def downgrade():
    op.drop_table("pipeline_members")
    with op.batch_alter_table("pipelines") as batch_op:
        batch_op.drop_column("restricted")
