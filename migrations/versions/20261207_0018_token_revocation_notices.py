"""identity: the database tells every process when a token or a user changes (LISTEN/NOTIFY), on commit

Each process keeps resolved bearer tokens (core/identity/token_cache.py) only while it listens on
channel `rxloop_identity`. Triggers, not the application, send the notices, so every write path is
covered (ORM, bulk UPDATEs, an operator's SQL) and a notice goes out only if its transaction commits.
PostgreSQL only: SQLite has no channel, and there every request resolves its token in the database.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 00:00:00
"""
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# Payloads: "t:<token digest>", "u:<user id>", "*" (forget everything).
FUNCTIONS = {
    "access_tokens": "'t:' || OLD.token_hash",
    "users": "'u:' || OLD.id",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, payload in FUNCTIONS.items():
        op.execute(f"""
            CREATE FUNCTION {table}_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('rxloop_identity', {payload});
                RETURN NULL;
            END $$""")
        op.execute(f"""
            CREATE TRIGGER {table}_notify_change AFTER UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_notify_change()""")
    op.execute("""
        CREATE FUNCTION identity_notify_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('rxloop_identity', '*');
            RETURN NULL;
        END $$""")
    for table in FUNCTIONS:
        op.execute(f"""
            CREATE TRIGGER {table}_notify_truncate AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION identity_notify_truncate()""")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in FUNCTIONS:
        op.execute(f"DROP TRIGGER {table}_notify_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_notify_change ON {table}")
        op.execute(f"DROP FUNCTION {table}_notify_change()")
    op.execute("DROP FUNCTION identity_notify_truncate()")
