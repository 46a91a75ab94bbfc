"""uploads remember the opportunity they belong to

A sent quote's PDF is stored as an upload; /files/<id>/<name> now serves a file only to someone
who may see what owns it, so the PDF names its opportunity. Older quote PDFs are matched to their
quote by file name (Q-<year>-<id>.pdf is the quote's number).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("uploads") as batch_op:
        batch_op.add_column(sa.Column("opportunity_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_uploads_opportunity_id", ["opportunity_id"])
        batch_op.create_foreign_key(
            "fk_uploads_opportunity_id_opportunities", "opportunities", ["opportunity_id"], ["id"], ondelete="SET NULL"
        )
    op.execute(
        "UPDATE uploads SET opportunity_id = (SELECT quotes.opportunity_id FROM quotes"
        " WHERE uploads.filename = quotes.number || '.pdf')"
        " WHERE content_type = 'application/pdf' AND created_by_id IS NULL"
    )


def downgrade():
    with op.batch_alter_table("uploads") as batch_op:
        batch_op.drop_constraint("fk_uploads_opportunity_id_opportunities", type_="foreignkey")
        batch_op.drop_index("ix_uploads_opportunity_id")
        batch_op.drop_column("opportunity_id")
