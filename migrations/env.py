"""Alembic environment: the app's engine and the models' metadata."""

from contextlib import contextmanager

from alembic import context
from flask import current_app
from sqlalchemy import create_engine

import consult.models  # noqa: F401  (register every table on the metadata)
import core.audit  # noqa: F401
import core.identity.models  # noqa: F401
import fhir_api.models  # noqa: F401
import shop.models  # noqa: F401
import assistant.models  # noqa: F401
from core.db import Base

config = context.config


def include_object(obj, name, type_, reflected, compare_to):
    return True


@contextmanager
def _sqlite_foreign_keys_deferred(connection):
    """SQLite changes a column's type by copying its table and dropping the old one, which the
    rows referencing it forbid while foreign keys are enforced: enforcement is off during the
    migrations (the PRAGMA is ignored inside a transaction, so it is set before one begins), and
    the references are checked before the commit."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def _check_sqlite_references(connection) -> None:
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left {len(broken)} broken references: {broken[:5]}")


def run_migrations_online():
    # Migrations run as the database's owner (MIGRATION_DATABASE_URL) when the app itself
    # connects as the restricted rxloop_app role (DATABASE_URL); one URL serves both by default.
    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    engine = create_engine(owner_url) if owner_url else current_app.extensions["rxloop.db"].engine
    with engine.connect() as connection, _sqlite_foreign_keys_deferred(connection):
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
            _check_sqlite_references(connection)
        connection.commit()
    if owner_url:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `flask db upgrade`")
run_migrations_online()
