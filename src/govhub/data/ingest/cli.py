"""The data center's commands: `govhub data ingest` (a file, with a progress bar over bytes
read), `govhub data pull` (a table of a registered database source, counting rows) and
`govhub data gc` (orphaned storage objects; a dry run unless `--delete`)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from govhub.core.db import session_scope
from govhub.core.errors import GovHubError
from govhub.core.storage import get_storage
from govhub.data.catalog.models import Resource
from govhub.data.ingest import gc, jobs, runner, service, sources
from govhub.data.ingest.errors import BadFile
from govhub.data.ingest.models import JobStatus, LoadJob
from govhub.data.ingest.schemas import PullCreate
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


@app.command("pull")
def pull(
    resource_id: Annotated[uuid.UUID, typer.Argument(help="The catalog resource's id")],
    source: Annotated[str, typer.Option(help="Name of the department's data source")],
    table: Annotated[str, typer.Option(help="Table to pull, optionally schema.table")],
    column: Annotated[list[str] | None, typer.Option(help="A column to pull (repeat)")] = None,
) -> None:
    """Pull a table of a registered database source as the resource's next dataset version."""
    try:
        with session_scope() as session:
            resource = session.get(Resource, resource_id)
            if resource is None:
                raise BadFile("not_found", "no such resource")
            operator = _operator(resource)
            found = sources.find_by_name(session, department_id=resource.department_id, name=source)
            body = PullCreate(source_id=found.id, table=table, columns=column or [])
            job_id = jobs.create_pull(
                session, principal=operator, resource_id=resource_id, data=body
            ).id
        with Progress(
            "[progress.description]{task.description}",
            "{task.completed} rows",
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task(escape(table), total=None)
            runner.run(
                job_id, principal=operator, echo=lambda _b, rows: bar.update(task, completed=rows)
            )
        with session_scope() as session:
            job = session.get_one(LoadJob, job_id)
            status, report, rows = job.status, dict(job.report), job.rows
    except ValidationError as error:
        err_console.print(f"[red]Rejected: {escape(error.errors()[0]['msg'])}[/red]")
        raise typer.Exit(1) from None
    except GovHubError as error:
        err_console.print(f"[red]Failed: {escape(error.detail)}[/red]")
        raise typer.Exit(1) from None
    if status is not JobStatus.SUCCEEDED:
        err_console.print(f"[red]{status.value}: {escape(str(report.get('detail', '')))}[/red]")
        raise typer.Exit(1)
    console.print(
        f"Published version {report['version']} of {escape(str(resource_id))}: "
        f"{rows} rows, {report['digest']}"
    )


@app.command("gc")
def gc_command(
    delete: Annotated[bool, typer.Option("--delete", help="Remove what is found")] = False,
    min_age_minutes: Annotated[int, typer.Option(min=0, help="Leave younger objects")] = 60,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Find storage objects no dataset or load owns (dry run unless --delete)."""
    storage = get_storage()
    with session_scope() as session:
        orphans = gc.find_orphans(session, storage, min_age=timedelta(minutes=min_age_minutes))
    if delete:
        gc.remove(storage, orphans)
    if as_json:
        report = {"deleted": delete, "orphans": [o.to_dict() for o in orphans]}
        console.print_json(json.dumps(report))
        return
    verb = "Removed" if delete else "Would remove"
    for orphan in orphans:
        console.print(f"{orphan.kind:10} {orphan.bytes or 0:>12} {escape(orphan.key)}")
    total = sum(o.bytes or 0 for o in orphans)
    console.print(f"{verb} {len(orphans)} orphaned objects ({total} bytes)")
