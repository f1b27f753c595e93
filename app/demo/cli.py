"""`edc demo`: demo logins for every site and role, and synthetic patients, ready to explore."""

from typing import Annotated

import typer
from rich.progress import track

from app.core.cli_context import configured_study, transaction
from app.demo.seed import SeedReport, seed_patients, seed_users


def demo(
    patients_per_site: Annotated[int, typer.Option(help="Synthetic patients created at each site.")] = 5,
    password: Annotated[str, typer.Option(help="Password of every demo login.")] = "demo-password",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same patients.")] = 1,
) -> None:
    """Create demo users (a data manager and a data-entry user per site, a monitor, a coordinator, an admin)
    and synthetic patients at each site, all validated and audited like real entries.

    Safe to run again: existing users are kept and sites that already have patients get no more.
    """
    study = configured_study()
    report = SeedReport()
    with transaction() as session:
        seed_users(session, study, password, report)
    for site in track(study.spec.sites, description="Synthetic patients"):
        with transaction() as session:
            seed_patients(session, study, site.code, patients_per_site, seed, report)
    typer.echo(
        f"{report.users_created} users and {report.patients_created} patients created "
        f"({report.instances_saved} form instances saved"
        + (
            f", {report.instances_skipped} left out: random values broke one of the study's checks)."
            if report.instances_skipped
            else ")."
        )
    )
    typer.echo(f"Demo logins (password '{password}'):")
    for login in report.logins:
        typer.echo(f"  {login.email:34} {login.role:13} {login.site or 'all sites'}")
