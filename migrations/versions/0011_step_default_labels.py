"""scenario steps no longer store their default label: empty means the kind's default, shown in
each reader's language

Steps added before stored the default label in the language of whoever added them ("End",
"Fin"…): those become empty. A label the admin typed that differs from the defaults stays.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The default labels as they were stored, in English and in French, by step kind.
DEFAULTS = {
    "email": ("Email 1 to 1", "E-mail individuel"),
    "pause": ("Pause",),
    "if": ("Condition",),
    "end": ("End", "Fin"),
}
ENGLISH = {"email": "Email 1 to 1", "pause": "Pause", "if": "Condition", "end": "End"}

steps = sa.table("scenario_steps", sa.column("kind", sa.String), sa.column("label", sa.String))


def upgrade():
    for kind, labels in DEFAULTS.items():
        op.execute(
            steps.update().where(steps.c.kind == kind, steps.c.label.in_(labels)).values(label="")
        )


def downgrade():
    for kind, label in ENGLISH.items():
        op.execute(steps.update().where(steps.c.kind == kind, steps.c.label == "").values(label=label))
