"""a lead converted to an account and a contact remembers when, and which ones

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("converted_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("converted_contact_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("converted_account_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_leads_converted_contact_id_contacts",
            "contacts",
            ["converted_contact_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            "fk_leads_converted_account_id_accounts",
            "accounts",
            ["converted_account_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("leads") as batch:
        batch.drop_constraint("fk_leads_converted_account_id_accounts", type_="foreignkey")
        batch.drop_constraint("fk_leads_converted_contact_id_contacts", type_="foreignkey")
        batch.drop_column("converted_account_id")
        batch.drop_column("converted_contact_id")
        batch.drop_column("converted_at")
