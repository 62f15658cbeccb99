"""`govhub opendata release|publish|withdraw`: the release gate from the command line, acting
for the department that owns the dataset."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govhub.core.db import session_scope
from govhub.core.errors import GovHubError, NotFound
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.opendata.releases import service
from govhub.data.opendata.releases.models import Release
from govhub.data.opendata.releases.schemas import ReleaseCreate
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal

app = typer.Typer(help="Open data: de-identified releases and the release gate.",
                  no_args_is_help=True)  # fmt: skip
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _operator(resource: Resource) -> Principal:
    """Return the command line's principal: a data official of the resource's department."""
    return Principal(
        username="govhub-cli",
        display_name="GovHub command line",
        roles=frozenset({Role.DATA_OWNER}),
        department_id=resource.department_id,
        division_code=resource.department.division_code,
    )


def _summary(release: Release) -> None:
    risk = release.report.get("risk", {})
    table = Table(title=f"Release {release.id}")
    for column in ("Model", "Highest", "Average", "Records at risk"):
        table.add_column(column)
    for model in ("prosecutor", "journalist", "marketer"):
        r = risk.get(model, {})
        table.add_row(
            model,
            f"{r.get('highest', 0):.4f}",
            f"{r.get('average', 0):.4f}",
            f"{100 * r.get('records_at_risk', 0):.1f}%",
        )
    console.print(table)
    decision = "may be published" if release.publishable else "refused: risk too high"
    console.print(
        f"{release.row_count} rows, loss {release.report.get('loss', 0):.4f}, "
        f"highest risk {release.risk_highest:.4f} (threshold {release.threshold:.2f}): "
        f"{decision}; status {release.status.value}"
    )


@app.command("release")
def release(
    version_id: Annotated[uuid.UUID, typer.Argument(help="The dataset version's id")],
    qi: Annotated[list[str], typer.Option(help="A quasi-identifier (repeat)")],
    k: Annotated[int, typer.Option(min=2, help="Smallest equivalence class")] = 5,
    sensitive: Annotated[list[str] | None, typer.Option(help="A sensitive column")] = None,
    l_diversity: Annotated[int | None, typer.Option("--l", help="Distinct l-diversity")] = None,
    t: Annotated[float | None, typer.Option(help="t-closeness")] = None,
    local: Annotated[bool, typer.Option("--local", help="Mondrian local recoding")] = False,
    publish_too: Annotated[bool, typer.Option("--publish", help="Publish if allowed")] = False,
) -> None:
    """Compute a de-identified release of a dataset version (and publish it with --publish)."""
    try:
        with session_scope() as session:
            version = session.get(DatasetVersion, version_id)
            resource = session.get(Resource, version.resource_id) if version else None
            if resource is None:
                raise NotFound("no such dataset version")
            operator = _operator(resource)
            data = ReleaseCreate(
                dataset_version_id=version_id,
                quasi_identifiers=qi,
                sensitive=sensitive or [],
                k=k,
                l=l_diversity,
                t=t,
                method="local" if local else "full_domain",
            )
            made = service.create(session, principal=operator, data=data)
            if publish_too and made.publishable:
                service.publish(session, principal=operator, release_id=made.id)
            _summary(made)
    except ValidationError as error:
        err_console.print(f"[red]Failed: {escape(str(error.errors()[0]['msg']))}[/red]")
        raise typer.Exit(1) from None
    except GovHubError as error:
        err_console.print(f"[red]Failed: {escape(error.detail)}[/red]")
        raise typer.Exit(1) from None


def _act(release_id: uuid.UUID, action: str) -> None:
    try:
        with session_scope() as session:
            found = session.get(Release, release_id)
            if found is None:
                raise NotFound("no such release")
            operator = _operator(found.resource)
            step = service.publish if action == "publish" else service.withdraw
            _summary(step(session, principal=operator, release_id=release_id))
    except GovHubError as error:
        err_console.print(f"[red]Failed: {escape(error.detail)}[/red]")
        raise typer.Exit(1) from None


@app.command("publish")
def publish(release_id: Annotated[uuid.UUID, typer.Argument(help="The release's id")]) -> None:
    """Publish a release (refused when its risk exceeds the threshold)."""
    _act(release_id, "publish")


@app.command("withdraw")
def withdraw(release_id: Annotated[uuid.UUID, typer.Argument(help="The release's id")]) -> None:
    """Withdraw a published release from the portal."""
    _act(release_id, "withdraw")
