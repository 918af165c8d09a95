"""Clinical operator commands: sync the formulary, expire prescriptions."""

import click
from flask.cli import with_appcontext

from consult import drugs, jobs
from core.db import unit_of_work


@click.command("formulary-sync")
@with_appcontext
def formulary_sync():
    """Load the formulary data files into the drugs table (idempotent)."""
    with unit_of_work() as session:
        changed = drugs.sync(session=session)
    click.echo(f"formulary: {changed} drug(s) added or changed")


@click.command("expire-prescriptions")
@with_appcontext
def expire_prescriptions():
    """Expire prescriptions past their validity (the same job the worker runs)."""
    with unit_of_work() as session:
        count = jobs.expire_prescriptions(session=session)
    click.echo(f"expired {count} prescription(s)")


commands = [formulary_sync, expire_prescriptions]
