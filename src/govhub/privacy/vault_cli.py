"""`govhub keys data ...`: master keys of the data encrypted at rest (rotate, retire, status)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govhub.core.db import session_scope
from govhub.core.storage import get_storage
from govhub.privacy import vault

app = typer.Typer(help="Master keys of dataset versions encrypted at rest.", no_args_is_help=True)
console = Console()
ACTOR = "service:govhub-cli"


@app.command("rotate")
def rotate_command(
    reencrypt: Annotated[
        bool, typer.Option("--reencrypt", help="Also seal every version under a new data key")
    ] = False,
) -> None:
    """Add a master key version and re-wrap every data key under it (no downtime)."""
    storage = get_storage()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("Re-encrypting" if reencrypt else "Re-wrapping", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with session_scope() as session:
            result = vault.rotate(
                session, actor=ACTOR, reencrypt=reencrypt, storage=storage, progress=step
            )
    vault.remove_objects(storage, result.removed)  # only once the new pointers are committed
    console.print(
        f"Master key [bold]{result.key_id}[/bold] active: {result.rewrapped} re-wrapped, "
        f"{result.reencrypted} re-encrypted, {result.plain} not encrypted."
    )


@app.command("retire")
def retire_command(key_id: Annotated[str, typer.Argument(help="Master key id, e.g. k1")]) -> None:
    """Remove a master key version that no dataset version uses any more."""
    with session_scope() as session:
        vault.retire(session, key_id)
    console.print(f"Master key [bold]{escape(key_id)}[/bold] retired.")


@app.command("status")
def status_command() -> None:
    """Show the master key versions and how many dataset versions each one protects."""
    ring = vault.load_keyring()
    with session_scope() as session:
        counts = vault.usage(session)
    table = Table("key", "state", "versions")
    for key_id in ring.keys:
        state = "active" if key_id == ring.active else "verifies"
        table.add_row(escape(key_id), state, str(counts.get(key_id, 0)))
    for key_id in ring.retired:
        table.add_row(escape(key_id), "retired", str(counts.get(key_id, 0)))
    table.add_row("-", "not encrypted", str(counts.get("plain", 0)))
    console.print(table)
