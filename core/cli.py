"""Operator commands: `flask --app wsgi create-user …`, `… docs` (and `db upgrade` from Flask-Migrate)."""

import click
from flask.cli import with_appcontext

from core import reference_docs
from core.config import PROJECT_ROOT
from core.db import unit_of_work
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


commands = [create_user, write_docs]
