"""`govhub ledger`: integrate pending entries, verify the whole log, print the checkpoint,
register a department witness and run it.

A witness runs against the platform's API (`--url`, with a bearer token of a machine client
or official of its department) or, on a machine with database access, directly against the
database (no `--url`). Either way it checks the new checkpoint against its saved state and
the consistency proof before it cosigns.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any, Protocol

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from govhub.core.db import session_scope
from govhub.core.errors import NotFound
from govhub.identity import service as identity_service
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.ledger import proofs, service, tasks
from govhub.ledger.checkpoint import Note, NoteError, NoteSigner, NoteVerifier, public_bytes
from govhub.ledger.verify import audit_log
from govhub.ledger.witness import (
    Witness,
    WitnessRejected,
    load_key_file,
    load_state,
    new_key_file,
    save_state,
)

app = typer.Typer(help="The trust ledger: integrate, verify, witness.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _operator(division_code: str, department_id: Any = None) -> Principal:
    """Return the command line's principal: platform authority over one division subtree."""
    return Principal(
        username="govhub-cli",
        display_name="GovHub command line",
        roles=frozenset({Role.PLATFORM_ADMIN}),
        department_id=department_id,
        division_code=division_code,
    )


@app.command("integrate")
def integrate() -> None:
    """Integrate every pending entry now and sign a checkpoint."""
    added = tasks.integrate_pending()
    with session_scope() as session:
        size = proofs.tree_size(session)
    console.print(f"Integrated {added} entries; the tree has {size} entries.")


@app.command("verify")
def verify() -> None:
    """Re-derive the tree from every entry and check it against every checkpoint."""
    columns = (TextColumn("Re-deriving the ledger"), BarColumn(), MofNCompleteColumn())
    with (
        Progress(*columns, console=err_console, transient=True) as progress,
        session_scope() as session,
    ):
        task = progress.add_task("verify", total=None)
        report = audit_log(
            session, progress=lambda done, total: progress.update(task, completed=done, total=total)
        )
    for finding in report.findings:
        err_console.print(f"[red]FAIL[/red] {escape(str(finding))}")
    summary = (
        f"{report.tree_size} entries, {report.checkpoints} checkpoints, "
        f"{report.cosignatures} valid cosignatures"
    )
    if not report.ok:
        err_console.print(f"[red]ledger verification failed[/red]: {summary}")
        raise typer.Exit(1)
    console.print(f"[green]verified[/green]: {summary}")


@app.command("checkpoint")
def checkpoint() -> None:
    """Print the newest checkpoint (signed note with cosignatures)."""
    with session_scope() as session:
        text = proofs.checkpoint_text(session, proofs.latest_checkpoint(session))
    typer.echo(text, nl=False)


@app.command("witness-add")
def witness_add(
    name: Annotated[str, typer.Option(help="The witness's key name, e.g. tax.hz.witness")],
    department: Annotated[str, typer.Option(metavar="CODE", help="Department code")],
    key_file: Annotated[Path, typer.Option(help="Where to create the private key (0600)")],
) -> None:
    """Create a witness key for a department and register its public key."""
    if key_file.exists():
        raise typer.BadParameter(f"{key_file} exists; refusing to overwrite a key")
    with session_scope() as session:
        unit = identity_service.find_department_by_code(session, department)
        key = new_key_file(key_file)
        service.register_witness(
            session,
            principal=_operator(unit.division_code),
            name=name,
            department_id=unit.id,
            public_key=public_bytes(key.public_key()),
        )
    console.print(f"Registered witness [bold]{escape(name)}[/bold] of {escape(department)}")


class Source(Protocol):
    """Where a witness reads checkpoints and proofs and sends cosignatures."""

    def checkpoint(self) -> str:
        """Return the newest checkpoint note."""

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return a consistency proof."""

    def submit(self, tree_size: int, signature: str) -> None:
        """Store a cosignature."""


class HttpSource:
    """The platform's API, through an HTTP client with the witness's bearer token."""

    def __init__(self, client: Any, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def _ok(self, response: Any) -> Any:
        if response.status_code >= 400:
            detail = response.json().get("detail", response.text)
            raise WitnessRejected(f"the platform answered {response.status_code}: {detail}")
        return response

    def checkpoint(self) -> str:
        """Return the newest checkpoint note."""
        return str(self._ok(self.client.get("/api/v1/ledger/checkpoint")).text)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return a consistency proof."""
        url = f"/api/v1/ledger/proofs/consistency/{first}/{second}"
        hashes = self._ok(self.client.get(url)).json()["hashes"]
        return [base64.b64decode(h) for h in hashes]

    def submit(self, tree_size: int, signature: str) -> None:
        """Store a cosignature."""
        body = {"tree_size": tree_size, "signature": signature}
        self._ok(self.client.post("/api/v1/ledger/cosignatures", json=body, headers=self.headers))


class DatabaseSource:
    """The platform's database, for a witness running beside it."""

    def __init__(self, witness_name: str) -> None:
        self.witness_name = witness_name

    def checkpoint(self) -> str:
        """Return the newest checkpoint note."""
        with session_scope() as session:
            return proofs.checkpoint_text(session, proofs.latest_checkpoint(session))

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return a consistency proof."""
        with session_scope() as session:
            return proofs.consistency_proof(session, first, second)

    def submit(self, tree_size: int, signature: str) -> None:
        """Store a cosignature as the witness's department."""
        with session_scope() as session:
            witnesses = {w.name: w for w in service.list_witnesses(session)}
            if self.witness_name not in witnesses:
                raise NotFound(f"no witness named {self.witness_name}")
            principal = Principal(
                username=f"witness:{self.witness_name}",
                display_name=self.witness_name,
                roles=frozenset({Role.SYSTEM}),
                department_id=witnesses[self.witness_name].department_id,
            )
            service.add_cosignature(
                session, principal=principal, tree_size=tree_size, signature=signature
            )


def run_witness(source: Source, witness: Witness) -> tuple[int, str]:
    """Fetch the newest checkpoint, verify it extends the last one, cosign and submit it."""
    note = source.checkpoint()
    size = int(Note.parse(note).body.split("\n")[1])
    state = witness.state
    proof: list[bytes] = []
    if state is not None and 0 < state.size < size:
        proof = source.consistency(state.size, size)
    checkpoint, signature = witness.cosign(note, proof)
    source.submit(checkpoint.size, signature.line())
    return checkpoint.size, signature.line()


@app.command("witness")
def witness(
    name: Annotated[str, typer.Option(help="The witness's registered key name")],
    key_file: Annotated[Path, typer.Option(help="The witness's private key file")],
    state_file: Annotated[Path, typer.Option(help="Where the last cosigned checkpoint is kept")],
    url: Annotated[
        str | None, typer.Option(help="The platform's base URL (default: use the database)")
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="GOVHUB_WITNESS_TOKEN", help="Bearer token for --url")
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option(help="The log's verifier key (required with --url; default: this platform)"),
    ] = None,
) -> None:
    """Cosign the newest checkpoint if it consistently extends the last one cosigned."""
    if url is not None:
        if not token or not log_key:
            raise typer.BadParameter("--url needs --log-key and a token (GOVHUB_WITNESS_TOKEN)")
        client = httpx.Client(base_url=url, timeout=30)
        source: Source = HttpSource(client, {"Authorization": f"Bearer {token}"})
    else:
        source = DatabaseSource(name)
    try:
        log = NoteVerifier.from_vkey(log_key) if log_key else service.log_verifier()
    except NoteError as exc:
        raise typer.BadParameter(f"--log-key: {exc}") from exc
    witness = Witness(NoteSigner(name, load_key_file(key_file)), log, load_state(state_file))
    try:
        size, _ = run_witness(source, witness)
    except WitnessRejected as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    if witness.state is not None:
        save_state(state_file, witness.state)
    console.print(f"Cosigned the checkpoint of tree size {size} as {escape(name)}")
