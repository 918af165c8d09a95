"""Shop operator commands: run the jobs by hand, seed the demo catalog."""

import click
from flask.cli import with_appcontext

from consult import demo as consult_demo
from core.db import unit_of_work
from shop import demo, jobs


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


commands = [seed_demo, demo_loop, *(_job_command(name) for name in ("expire-orders", "reconcile-payments"))]
