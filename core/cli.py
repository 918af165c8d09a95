"""Operator commands: `flask --app wsgi create-user …`, `… docs`, `… audit-checkpoint` (and `db upgrade` from Flask-Migrate)."""

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from core import audit, reference_docs, signing
from core.config import PROJECT_ROOT
from core.db import unit_of_work
from core.encryption import keys as data_keys
from core.encryption import rotation
from core.errors import DomainError
from core.identity import accounts


@click.command("create-user")
@click.option("--role", required=True, type=click.Choice(["patient", "doctor", "pharmacist", "admin"]))
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--full-name", default="")
@click.option("--license", "license_number", default=None)
@click.option("--specialty", default=None)
@with_appcontext
def create_user(role, email, password, full_name, license_number, specialty):
    """Create a staff or patient account."""
    try:
        with unit_of_work() as session:
            user = accounts.create(session=session, email=email, password=password, role=role,
                                   full_name=full_name or email, license_number=license_number,
                                   specialty=specialty)
    except DomainError as exc:
        raise click.ClickException(f"{exc.detail} {exc.errors or ''}".strip()) from None
    click.echo(f"created {role} {user.id}")


@click.command("docs")
@with_appcontext
def write_docs():
    """Write docs/problems.md and docs/states.md from the problem registry and the state machines."""
    for path in reference_docs.write(PROJECT_ROOT / "docs"):
        click.echo(f"wrote {path.relative_to(PROJECT_ROOT)}")


@click.command("audit-seal")
@with_appcontext
def seal_audit():
    """Chain the committed entries not yet sealed (the `seal-audit` job, by hand)."""
    total = 0
    with unit_of_work() as session:
        while (count := audit.seal(session=session)) == audit.SEAL_BATCH:
            total += count
        total += count
    click.echo(f"sealed {total} entries")


@click.command("audit-checkpoint")
@with_appcontext
def make_audit_checkpoint():
    """Seal, sign the sealed head and print the checkpoint as JSON: keep it outside the database."""
    with unit_of_work() as session:
        made = audit.checkpoint(session=session, key=signing.for_app(current_app))
        exported = audit.checkpoint_as_dict(made)
    click.echo(json.dumps(exported))


@click.command("audit-verify")
@click.option("--checkpoint", "anchor_files", multiple=True, type=click.File(),
              help="a checkpoint kept outside the database (as printed by audit-checkpoint)")
@with_appcontext
def verify_audit(anchor_files):
    """Verify the audit log against its stored checkpoints and any kept elsewhere; exit 1 if broken."""
    anchors = [json.loads(line) for file in anchor_files for line in file if line.strip()]
    with unit_of_work() as session:
        result = audit.verify(session=session, public_key=signing.for_app(current_app).public_key(),
                              anchors=anchors)
    click.echo(json.dumps(result))
    if not result["ok"]:
        raise SystemExit(1)


@click.command("rotate-keys")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
@click.option("--status", is_flag=True, help="only count the stored values under each key id")
@with_appcontext
def rotate_keys(batch_size, status):
    """Re-encrypt every stored value under the active data key (RXLOOP_DATA_KEYS' first entry).

    Commits batch by batch: interrupt it any time and run it again to carry on. Remove an old
    key from the ring only once it protects 0 values.
    """
    ring = data_keys.current_ring()
    with unit_of_work() as session:
        click.echo(json.dumps({"active": ring.active_id, "values_by_key": rotation.count_by_key(session=session, ring=ring)}))
        if status:
            return
        total = rotation.rotate(session=session, ring=ring, batch_size=batch_size,
                                progress=lambda name, rows: click.echo(f"{name}: {rows} rows re-encrypted"))
        click.echo(json.dumps({"rows_rewritten": total,
                               "values_by_key": rotation.count_by_key(session=session, ring=ring)}))


commands = [create_user, write_docs, seal_audit, make_audit_checkpoint, verify_audit, rotate_keys]
