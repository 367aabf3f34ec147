"""task immediacy: work to be done at the first moment is shown as immediate, with the time since it counts

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("immediate", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("immediate_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_column("immediate_since")
        batch.drop_column("immediate")
