"""`govhub services`: fire the time-limit timers of waiting workflows (reminders and
escalations). Run it every few minutes from cron or a systemd timer; concurrent runs share
the work and never repeat a reminder."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from govhub.services import timers

app = typer.Typer(help="Online services: workflow timers.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)


@app.command("tick")
def tick(
    batch: Annotated[
        int, typer.Option(min=1, max=10_000, help="Applications per transaction")
    ] = timers.DEFAULT_BATCH,
    at: Annotated[
        datetime | None,
        typer.Option(
            "--at",
            formats=["%Y-%m-%dT%H:%M:%S"],
            help="Act as if it were this UTC time (YYYY-MM-DDTHH:MM:SS); default now",
        ),
    ] = None,
) -> None:
    """Send the reminders and escalations whose time has come."""
    now = at.replace(tzinfo=UTC) if at is not None else None
    report = timers.tick(now=now, batch=batch)
    console.print(
        f"{report.applications} application(s): {report.reminded} reminder(s), "
        f"{report.escalated} escalation(s)."
    )
