"""Alembic environment: the app's engine and the models' metadata."""

from alembic import context
from flask import current_app
from sqlalchemy import create_engine

import consult.models  # noqa: F401  (register every table on the metadata)
import core.audit  # noqa: F401
import core.identity.models  # noqa: F401
import fhir_api.models  # noqa: F401
import shop.models  # noqa: F401
from core.db import Base

config = context.config


def include_object(obj, name, type_, reflected, compare_to):
    return True


def run_migrations_online():
    # Migrations run as the database's owner (MIGRATION_DATABASE_URL) when the app itself
    # connects as the restricted rxloop_app role (DATABASE_URL); one URL serves both by default.
    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    engine = create_engine(owner_url) if owner_url else current_app.extensions["rxloop.db"].engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    if owner_url:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `flask db upgrade`")
run_migrations_online()
