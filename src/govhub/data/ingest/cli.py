"""`govhub data ingest RESOURCE_ID FILE`: load a file with a progress bar over bytes read."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from govhub.core.db import session_scope
from govhub.core.errors import GovHubError
from govhub.data.catalog.models import Resource
from govhub.data.ingest import service
from govhub.data.ingest.errors import BadFile
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal

app = typer.Typer(help="The data center: load files into catalog resources.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _operator(resource: Resource) -> Principal:
    """Return the command line's principal: authority over the resource's department."""
    return Principal(
        username="govhub-cli",
        display_name="GovHub command line",
        roles=frozenset({Role.PLATFORM_ADMIN}),
        department_id=resource.department_id,
        division_code=resource.department.division_code,
    )


@app.command("ingest")
def ingest(
    resource_id: Annotated[uuid.UUID, typer.Argument(help="The catalog resource's id")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Load FILE as the next immutable dataset version of a resource."""
    try:
        with session_scope() as session:
            resource = session.get(Resource, resource_id)
            if resource is None:
                raise BadFile("not_found", "no such resource")
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                task = bar.add_task(escape(file.name), total=file.stat().st_size)
                dataset, log = service.ingest(
                    session,
                    principal=_operator(resource),
                    resource_id=resource_id,
                    source=file,
                    filename=file.name,
                    progress=lambda n: bar.advance(task, n),
                )
            summary = (
                f"Published version {dataset.version} of {escape(resource.identifier)}: "
                f"{dataset.row_count} rows, {dataset.digest}"
            )
    except BadFile as error:
        err_console.print(f"[red]Rejected: {escape(error.describe())}[/red]")
        raise typer.Exit(1) from None
    except GovHubError as error:
        err_console.print(f"[red]Failed: {escape(error.detail)}[/red]")
        raise typer.Exit(1) from None
    console.print(summary)
    for warning in log.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
