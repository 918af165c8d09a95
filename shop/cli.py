"""Shop operator commands: run the jobs by hand, import a catalogue, seed the demo catalog."""

import click
from flask.cli import with_appcontext

from consult import demo as consult_demo
from core.db import unit_of_work
from shop import catalogue_import, demo, jobs


def _job_command(name):
    @click.command(name)
    @with_appcontext
    def command():
        job, _every = jobs.JOBS[name]
        with unit_of_work() as session:
            count = job(session=session)
        click.echo(f"{name}: {count}")

    command.__doc__ = f"Run the {name} job once (the worker runs it on a schedule)."
    return command


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo accounts, formulary and catalog once (running it again changes nothing)."""
    with unit_of_work() as session:
        created = demo.seed(session=session)
    click.echo(f"demo data: {created} new records" if created else "demo data already present")
    for account in consult_demo.ACCOUNTS:
        click.echo(f"  {account['role']:<10} {account['email']:<28} {consult_demo.PASSWORD}  (development only)")


@click.command("import-catalogue")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@with_appcontext
def import_catalogue(file):
    """Load products and their lots from a CSV file: every row, or none if any row is refused.

    Columns: sku, name, drug_id, pack_size, price_amount (minor units), currency, and for a lot lot_number,
    expiry_date (YYYY-MM-DD), quantity (packs). Run `flask formulary-sync` first: drug_id names a formulary drug."""
    try:
        rows = catalogue_import.read(file)
        with unit_of_work() as session:
            done = catalogue_import.load(session=session, rows=rows)
    except catalogue_import.CatalogueImportFailed as exc:
        for where, problems in (exc.errors or {}).items():
            for problem in problems:
                click.echo(f"{file.name}: {where}: {problem}", err=True)
        raise click.ClickException(exc.detail) from None
    click.echo(f"catalogue: {done.products} product(s) created, {done.lots} lot(s) received from {file.name}")


@click.command("demo-loop")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True)
@click.option("--stripe-api-base", envvar="STRIPE_API_BASE", default=None,
              help="the Stripe-compatible server the running rxloop uses (localstripe)")
@with_appcontext
def demo_loop(base_url, stripe_api_base):
    """Walk the whole loop against a running server, step by step, with the demo accounts."""
    from shop.demo_loop import Step, run

    def reconcile():
        with unit_of_work() as session:
            return jobs.reconcile_payments(session=session)

    try:
        run(base_url, echo=click.echo, stripe_api_base=stripe_api_base, reconcile=reconcile)
    except Step as exc:
        raise click.ClickException(str(exc)) from None


commands = [seed_demo, import_catalogue, demo_loop, *(_job_command(name) for name in ("expire-orders", "reconcile-payments"))]
