"""wechat sign-in bindings and per-organisation media (issue 17)

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-07 13:30:00

t_media records which organisation owns which uploaded image (and its file name). Images that
tasks already use are recorded for the task's organisation, so they keep displaying.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import pushtask.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "t_wechat_bindings",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.Text(), nullable=False),
        sa.Column("openid_hash", sa.String(length=100), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["t_users.id"], name=op.f("fk_t_wechat_bindings_user_id_t_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_t_wechat_bindings")),
        sa.UniqueConstraint("openid_hash", name=op.f("uq_t_wechat_bindings_openid_hash")),
    )
    media = op.create_table(
        "t_media",
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("media_id", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", pushtask.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "media_id", name=op.f("pk_t_media")),
    )
    tasks = sa.table("t_tasks", sa.column("org_id", sa.String()), sa.column("content_image", sa.String()))
    pairs = op.get_bind().execute(
        sa.select(tasks.c.org_id, tasks.c.content_image).where(tasks.c.content_image.is_not(None)).distinct()
    )
    now = datetime.now(UTC)
    rows = [
        {"org_id": org, "media_id": key, "file_name": f"image-{key[:8]}", "created_at": now}
        for org, key in pairs
        if key and len(key) <= 64
    ]
    if rows:
        op.bulk_insert(media, rows)


def downgrade() -> None:
    op.drop_table("t_media")
    op.drop_table("t_wechat_bindings")
