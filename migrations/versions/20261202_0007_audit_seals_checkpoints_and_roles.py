"""audit: entries appended without a head lock, sealed into audit_seals, signed checkpoints;
on PostgreSQL triggers refuse UPDATE/DELETE/TRUNCATE and the rxloop_app role may only
INSERT and SELECT the audit tables

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:00:00

Run as the database owner. Existing entries keep their seq and get the hash of their own
content; the sealer chains them (from genesis) on its first run.
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

AUDIT_TABLES = ('audit_entries', 'audit_seals', 'audit_checkpoints')
APP_ROLE = 'rxloop_app'
APPEND_LOCK = 0x72786C6F6F70_01  # core.audit.APPEND_LOCK


def _entries(*extra):
    return sa.table('audit_entries', sa.column('seq', sa.BigInteger), sa.column('at', core.db.UTCDateTime()),
                    sa.column('actor_id', sa.String), sa.column('action', sa.String),
                    sa.column('subject_type', sa.String), sa.column('subject_id', sa.String),
                    sa.column('detail', sa.JSON), sa.column('hash', sa.String), *extra)


def _json(value):
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('patient_id', sa.String(length=40), nullable=True))
        batch_op.drop_constraint('uq_audit_entries_hash', type_='unique')
        batch_op.drop_column('prev_hash')
        if postgres:
            batch_op.alter_column('seq', existing_type=sa.Integer(), type_=sa.BigInteger(),
                                  existing_nullable=False)
        batch_op.create_index('ix_audit_entries_patient_id_seq', ['patient_id', 'seq'], unique=False)

    # Each entry's hash becomes the hash of its own content (as core.audit.content_hash).
    entries = _entries()
    for row in bind.execute(sa.select(entries).order_by(entries.c.seq)).mappings().all():
        own = {'at': row['at'].isoformat(), 'actor_id': row['actor_id'], 'action': row['action'],
               'subject_type': row['subject_type'], 'subject_id': row['subject_id'],
               'patient_id': None, 'detail': row['detail']}
        bind.execute(entries.update().where(entries.c.seq == row['seq'])
                     .values(hash=hashlib.sha256(_json(own).encode()).hexdigest()))

    op.drop_table('audit_head')
    op.create_table('audit_seals',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_seals'))
    )
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index('ix_audit_checkpoints_seq', ['seq'], unique=False)

    if not postgres:
        return  # SQLite: one file, one user; nothing to grant, and writers are serialised
    op.execute("CREATE SEQUENCE audit_entries_seq AS bigint OWNED BY audit_entries.seq")
    op.execute("SELECT setval('audit_entries_seq', COALESCE((SELECT max(seq) FROM audit_entries), 0) + 1, false)")
    # The seq is drawn after a shared advisory lock, held to the end of the transaction: the
    # sealer takes that lock exclusively for a moment to know every smaller seq has settled.
    op.execute(f"""
        CREATE FUNCTION audit_entries_draw_seq() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared({APPEND_LOCK});
            NEW.seq := nextval('audit_entries_seq');
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE TRIGGER audit_entries_draw_seq BEFORE INSERT ON audit_entries
        FOR EACH ROW EXECUTE FUNCTION audit_entries_draw_seq()""")
    op.execute("""
        CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END $$""")
    for table in AUDIT_TABLES:
        op.execute(f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""")
        op.execute(f"""
            CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""")

    # The application's role (cluster-wide, so it may exist already from another database).
    # NOLOGIN here: the operator gives it a password and LOGIN (README, "Database roles").
    op.execute(f"""
        DO $$ BEGIN
            CREATE ROLE {APP_ROLE} NOLOGIN;
        EXCEPTION WHEN duplicate_object THEN NULL;
        END $$""")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP_ROLE}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(AUDIT_TABLES)} FROM {APP_ROLE}")
    # Tables later migrations create (as this owner) are the app's to use as well.
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


def downgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    if postgres:
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {APP_ROLE}")
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {APP_ROLE}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
        op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
        # The role stays: other databases of the cluster may use it.
        for table in AUDIT_TABLES:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION audit_refuse_change()")
        op.execute("DROP TRIGGER audit_entries_draw_seq ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_draw_seq()")
        op.execute("DROP SEQUENCE audit_entries_seq")

    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_checkpoints_seq')
    op.drop_table('audit_checkpoints')
    op.drop_table('audit_seals')
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_patient_id_seq')
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))

    # Back to one chain through the entries themselves (as 0001's core.audit.chain_hash).
    entries = _entries(sa.column('prev_hash', sa.String))
    prev, seq = '0' * 64, 0
    for row in bind.execute(sa.select(entries).order_by(entries.c.seq)).mappings().all():
        seq = row['seq']
        canonical = {'seq': seq, 'at': row['at'].isoformat(), 'actor_id': row['actor_id'],
                     'action': row['action'], 'subject_type': row['subject_type'],
                     'subject_id': row['subject_id'], 'detail': row['detail']}
        chained = hashlib.sha256((prev + _json(canonical)).encode()).hexdigest()
        bind.execute(entries.update().where(entries.c.seq == seq).values(prev_hash=prev, hash=chained))
        prev = chained
    bind.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)"),
                 {'seq': seq, 'hash': prev})

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        if postgres:
            batch_op.alter_column('seq', existing_type=sa.BigInteger(), type_=sa.Integer(),
                                  existing_nullable=False)
        batch_op.create_unique_constraint('uq_audit_entries_hash', ['hash'])
        batch_op.drop_column('patient_id')
