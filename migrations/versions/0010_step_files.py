"""email steps of a scenario carry files: attachments and images inline in their message

One row per (step, upload, role), so who may read an upload can be asked of the database.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scenario_step_files",
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["scenario_steps.id"],
            name=op.f("fk_scenario_step_files_step_id_scenario_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.id"], name=op.f("fk_scenario_step_files_upload_id_uploads")
        ),
        sa.PrimaryKeyConstraint("step_id", "upload_id", "role", name=op.f("pk_scenario_step_files")),
    )
    op.create_index(op.f("ix_scenario_step_files_upload_id"), "scenario_step_files", ["upload_id"])


def downgrade():
    op.drop_index(op.f("ix_scenario_step_files_upload_id"), table_name="scenario_step_files")
    op.drop_table("scenario_step_files")
