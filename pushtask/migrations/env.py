"""Alembic environment: migrate the engine handed over by pushtask.migrations."""

from __future__ import annotations

from alembic import context

from pushtask.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("Run migrations with `pushtask db upgrade`, which supplies the database URL.")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
