"""encrypt patient data at rest: 24 columns become `v1$<key id>$…` text; users.email_lookup finds an email

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:00:00

Existing rows are encrypted here with the app's key ring (RXLOOP_DATA_KEYS, or the development
key file): run it as `flask db upgrade`, which gives the migration the app and its keys. The
downgrade decrypts them back into the old column types.
"""
import sqlalchemy as sa
from alembic import op

from core.encryption.keys import current_ring

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 500

# table → {column: the type it had before}; every one becomes encrypted TEXT.
COLUMNS = {
    'users': {'email': sa.String(254), 'full_name': sa.String(200), 'totp_secret': sa.String(64)},
    'patients': {'birth_date': sa.Date(), 'phone': sa.String(32), 'allergies': sa.JSON(),
                 'conditions': sa.JSON(), 'current_medications': sa.JSON(), 'pregnancy_due_date': sa.Date(),
                 'ancestry': sa.JSON(), 'genotypes': sa.JSON()},
    'consultations': {'chief_complaint': sa.Text(), 'symptoms': sa.JSON(), 'prior_diagnosis': sa.JSON(),
                      'prior_diagnosis_evidence': sa.JSON(), 'guardian': sa.JSON(), 'diagnosis': sa.JSON(),
                      'notes': sa.Text()},
    'consultation_messages': {'body': sa.Text()},
    'prescriptions': {'diagnosis': sa.JSON(), 'override_reason': sa.Text(), 'review_note': sa.Text()},
    'prescription_reviews': {'note': sa.Text()},
    'orders': {'shipping_address': sa.JSON()},
}


class _DateKeptAsText(sa.Date):
    """DATE, copied as it is: SQLite's batch copy CASTs a column whose affinity changes, and
    CAST('1992-09-03' AS DATE) keeps only 1992 there; the ISO text is what SQLAlchemy reads."""

    @property
    def _type_affinity(self):
        return sa.String


def _rewrite(table_name: str, columns: list[str], rewrite) -> None:
    """Replace each row's `columns` with `rewrite(row)` (a dict of new values), a batch at a time by id."""
    written = ['email_lookup'] if table_name == 'users' else []
    table = sa.table(table_name, *(sa.column(c) for c in ['id', *columns, *written]))
    bind = op.get_bind()
    last = ''
    while True:
        rows = bind.execute(sa.select(table.c.id, *(table.c[c] for c in columns))
                            .where(table.c.id > last).order_by(table.c.id).limit(BATCH)).mappings().all()
        if not rows:
            return
        for row in rows:
            bind.execute(table.update().where(table.c.id == row['id']).values(rewrite(row)))
        last = rows[-1]['id']


def _plain(table: str, column: str, raw):
    """Text as the old column stored it: JSON 'null' is SQL NULL once encrypted."""
    if raw is None:
        return None
    raw = raw if isinstance(raw, str) else str(raw)
    if isinstance(COLUMNS[table][column], sa.JSON) and raw.strip() == 'null':
        return None
    return raw


def _encrypted(ring, table: str, row, columns) -> dict:
    values = {c: None if (plain := _plain(table, c, row[c])) is None else ring.encrypt(plain) for c in columns}
    if table == 'users':
        values['email_lookup'] = ring.lookup_digest(row['email'].strip().lower())
    return values


def upgrade():
    ring = current_ring()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_lookup', sa.String(length=64), nullable=True))
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old in columns.items():
                batch_op.alter_column(column, existing_type=old, type_=sa.Text(),
                                      postgresql_using=f'{column}::text')
    for table, columns in COLUMNS.items():
        _rewrite(table, list(columns), lambda row, table=table, columns=columns: _encrypted(ring, table, row, columns))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_email', type_='unique')
        batch_op.alter_column('email_lookup', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_email_lookup'), ['email_lookup'])


def downgrade():
    ring = current_ring()
    for table, columns in COLUMNS.items():
        _rewrite(table, list(columns),
                 lambda row, columns=columns: {c: None if row[c] is None else ring.decrypt(row[c]) for c in columns})
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old in columns.items():
                using = {sa.JSON: 'json', sa.Date: 'date'}.get(type(old))
                restored = _DateKeptAsText() if isinstance(old, sa.Date) else old
                batch_op.alter_column(column, existing_type=sa.Text(), type_=restored,
                                      postgresql_using=f'{column}::{using}' if using else None)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_email_lookup', type_='unique')
        batch_op.drop_column('email_lookup')
        batch_op.create_unique_constraint(batch_op.f('uq_users_email'), ['email'])

