"""`govhub payments`: expire overdue orders, show the provider's statement of a day and
reconcile a day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from govhub.core.db import session_scope
from govhub.payments import reconciliation, service
from govhub.payments.provider import SANDBOX, get_provider

app = typer.Typer(help="E-payment: fee orders and reconciliation.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)

Day = Annotated[
    datetime | None,
    typer.Option("--date", formats=["%Y-%m-%d"], help="Day (UTC), YYYY-MM-DD; default today"),
]


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else datetime.now(UTC).date()


@app.command("expire")
def expire() -> None:
    """Mark pending orders past their payment deadline as expired; forget old callback
    nonces."""
    with session_scope() as session:
        count = service.expire_overdue(session)
        pruned = service.prune_nonces(session)
    console.print(f"{count} order(s) expired, {pruned} old callback nonce(s) forgotten.")


@app.command("statement")
def statement(day: Day = None) -> None:
    """Print the sandbox provider's statement of a day."""
    chosen = _day(day)
    with session_scope() as session:
        lines = get_provider(SANDBOX).statement(session, chosen)
    table = Table(title=f"Sandbox statement {chosen.isoformat()}")
    table.add_column("Transaction", no_wrap=True)
    table.add_column("Kind")
    table.add_column("Order", overflow="fold")
    table.add_column("Amount (yuan)", justify="right", no_wrap=True)
    for line in lines:
        table.add_row(
            line.txn_id, str(line.kind), str(line.order_id), service.yuan(line.amount_fen)
        )
    console.print(table)
    console.print(f"{len(lines)} line(s).")


@app.command("reconcile")
def reconcile(day: Day = None) -> None:
    """Reconcile a day with the provider's statement; exit 1 when any difference remains."""
    chosen = _day(day)
    with session_scope() as session:
        stored = reconciliation.reconcile(session, day=chosen, actor="service:govhub-cli")
        report = stored.report
        matched, differences = stored.matched, stored.differences
    ours, theirs = report["govhub_totals"], report["provider_totals"]
    console.print(f"Reconciliation {chosen.isoformat()} with {SANDBOX}")
    console.print(
        f"GovHub: received {service.yuan(ours['received_fen'])}, "
        f"refunded {service.yuan(ours['refunded_fen'])}; "
        f"provider: received {service.yuan(theirs['received_fen'])}, "
        f"refunded {service.yuan(theirs['refunded_fen'])}"
    )
    console.print(f"{matched} matched, {differences} difference(s).")
    if differences:
        table = Table(title="Differences")
        table.add_column("Problem", no_wrap=True)
        table.add_column("Kind")
        table.add_column("Reference", no_wrap=True)
        table.add_column("Order", overflow="fold")
        table.add_column("GovHub", justify="right", no_wrap=True)
        table.add_column("Provider", justify="right", no_wrap=True)
        for item in report["items"]:
            table.add_row(
                item["problem"],
                item["kind"],
                item["reference"],
                item["order_id"],
                "" if item["govhub_fen"] is None else service.yuan(item["govhub_fen"]),
                "" if item["provider_fen"] is None else service.yuan(item["provider_fen"]),
            )
        console.print(table)
        raise typer.Exit(1)
