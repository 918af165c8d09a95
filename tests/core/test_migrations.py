"""The migrations produce exactly the models' schema, on whichever database runs the tests."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import Base


def test_migrations_match_the_models(app):
    engine = app.extensions["rxloop.db"].engine
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_migrations_have_a_single_head(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate  # noqa: F401

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1
