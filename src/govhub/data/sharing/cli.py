"""`govhub sharing remind`: list grants about to expire and mark them reminded."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govhub.core.db import session_scope, utcnow
from govhub.data.sharing import service

app = typer.Typer(help="Data sharing between departments.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)


@app.command("remind")
def remind(
    days: Annotated[
        int, typer.Option(min=1, max=90, help="Remind grants expiring within this many days")
    ] = service.REMIND_DAYS,
) -> None:
    """List active grants expiring soon (each once) so both departments can renew in time."""
    with session_scope() as session:
        due = service.due_for_renewal(session, now=utcnow(), within_days=days)
        if not due:
            console.print(f"No grant expires within {days} days without a reminder.")
            return
        table = Table(title=f"Grants expiring within {days} days")
        for column in ("Resource", "Holder", "System", "Expires (UTC)"):
            table.add_column(column)
        for grant in sorted(due, key=lambda g: g.expires_at):
            table.add_row(
                escape(grant.resource.identifier),
                escape(grant.department.name),
                escape(grant.client_id),
                grant.expires_at.strftime("%Y-%m-%d %H:%M"),
            )
        console.print(table)
        console.print(f"{len(due)} grant(s) marked as reminded.")
