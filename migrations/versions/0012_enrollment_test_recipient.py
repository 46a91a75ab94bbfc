"""a simulation can send its emails to the admin's own address as a test

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("test_recipient", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("test_recipient")
