"""The `govhub` command: serve the platform, migrate the database, load the demo province,
create officials, list departments and rotate the token signing keys.

Each command that reads or writes data runs in one `session_scope()`: the transaction lives
at the edge, the services only flush. Failures are reported in one place, `GovHubGroup`:
a red message on stderr and exit code 2 for bad arguments (including input a service rejects
as invalid), 1 for everything the domain refuses (an unknown department, a taken username),
never a traceback.
"""

from __future__ import annotations

import json
import time
from types import TracebackType
from typing import Annotated, Any, NoReturn

import typer
import uvicorn
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from govhub.core import migrations
from govhub.core.db import session_scope
from govhub.core.errors import GovHubError, InvalidInput
from govhub.core.settings import get_settings
from govhub.data.ingest import cli as ingest_cli
from govhub.data.opendata.releases import cli as release_cli
from govhub.data.sharing import cli as sharing_cli
from govhub.demo import (
    DEFAULT_CITIZENS,
    DEFAULT_ENTERPRISES,
    DEFAULT_SEED,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    LoadReport,
    build_plan,
    load_demo,
)
from govhub.identity import service as identity_service
from govhub.identity import tokens
from govhub.identity.codes import division_level
from govhub.identity.models import Department
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.identity.schemas import DepartmentRead, OfficialCreate
from govhub.ledger import cli as ledger_cli
from govhub.payments import cli as payments_cli
from govhub.privacy import vault_cli
from govhub.services import cli as services_cli

EXIT_DOMAIN_ERROR = 1
EXIT_BAD_ARGUMENTS = 2
PAGE = 500

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_DOMAIN_ERROR) -> NoReturn:
    """Print `message` in red on stderr and exit with `code`."""
    err_console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def _validation_message(exc: ValidationError) -> str:
    """Name each rejected option and why, never echoing the value (it may be a password)."""
    parts = []
    for error in exc.errors():
        option = "--" + "-".join(str(part) for part in error["loc"]).replace("_", "-")
        parts.append(f"{option}: {error['msg']}")
    return "; ".join(parts)


def _database_message(exc: SQLAlchemyError) -> str:
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"database error: {cause} (is the schema current? run `govhub db upgrade`)"


class GovHubGroup(TyperGroup):
    """The root command group: turns every known failure into a message and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        """Run the chosen command, reporting failures without a traceback."""
        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
            fail(exc.detail, EXIT_BAD_ARGUMENTS)
        except GovHubError as exc:
            fail(exc.detail, EXIT_DOMAIN_ERROR)
        except ValidationError as exc:
            fail(_validation_message(exc), EXIT_BAD_ARGUMENTS)
        except SQLAlchemyError as exc:
            fail(_database_message(exc), EXIT_DOMAIN_ERROR)


app = typer.Typer(
    name="govhub",
    cls=GovHubGroup,
    help="GovHub: the open digital-government platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Migrate the database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo province (demo-only data).", no_args_is_help=True)
user_app = typer.Typer(help="Accounts of officials.", no_args_is_help=True)
dept_app = typer.Typer(help="Departments.", no_args_is_help=True)
keys_app = typer.Typer(help="Token signing keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")
app.add_typer(dept_app, name="dept")
app.add_typer(keys_app, name="keys")
keys_app.add_typer(vault_cli.app, name="data")
app.add_typer(ledger_cli.app, name="ledger")
app.add_typer(ingest_cli.app, name="data")
app.add_typer(sharing_cli.app, name="sharing")
app.add_typer(payments_cli.app, name="payments")
app.add_typer(release_cli.app, name="opendata")
app.add_typer(services_cli.app, name="services")


def operator(division_code: str) -> Principal:
    """Return the principal of the machine's operator: platform authority over one subtree."""
    return Principal(
        username="govhub-cli",
        display_name="GovHub command line",
        roles=frozenset({Role.PLATFORM_ADMIN}),
        division_code=division_code,
    )


# --- serve -----------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind [default: GOVHUB_HOST]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port [default: GOVHUB_PORT]")
    ] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
) -> None:
    """Serve the web pages and the API with Uvicorn."""
    settings = get_settings()
    bind_host = host or settings.host
    bind_port = port or settings.port
    shown = f"[{bind_host}]" if ":" in bind_host else bind_host
    console.print(f"GovHub at [bold]http://{shown}:{bind_port}[/bold] (API docs: /api/docs)")
    uvicorn.run(
        "govhub.api:create_app", factory=True, host=bind_host, port=bind_port, reload=reload
    )


# --- db --------------------------------------------------------------------------------------


def _revisions(session: Session) -> tuple[set[str], set[str]]:
    """Return the database's current revisions and the scripts' heads."""
    current = set(MigrationContext.configure(session.connection()).get_current_heads())
    heads = set(ScriptDirectory.from_config(migrations.alembic_config()).get_heads())
    return current, heads


def _names(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "none (empty database)"


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Target revision")] = "head",
) -> None:
    """Apply migrations up to a revision."""
    try:
        migrations.upgrade(revision)
    except CommandError as exc:
        fail(str(exc), EXIT_BAD_ARGUMENTS)
    with session_scope() as session:
        current, _ = _revisions(session)
    console.print(f"Database upgraded; current revision: [bold]{_names(current)}[/bold]")


@db_app.command("current")
def db_current(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 unless at head")] = False,
) -> None:
    """Show the database's revision and whether it is at head."""
    with session_scope() as session:
        current, heads = _revisions(session)
    console.print(f"current: [bold]{_names(current)}[/bold]  head: {_names(heads)}")
    if current == heads:
        console.print("[green]up to date[/green]")
    elif check:
        fail("the database is not at head; run `govhub db upgrade`")
    else:
        console.print("[yellow]behind: run `govhub db upgrade`[/yellow]")


# --- demo ------------------------------------------------------------------------------------


class _StageProgress:
    """A Rich progress bar per demo stage, fed by the loader's progress callback."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _StageProgress:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


def _print_report(report: LoadReport, seconds: float) -> None:
    if not report.changed:
        console.print("The demo province is already loaded: nothing changed.")
        return
    table = Table(title=f"Demo province loaded in {seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows added", justify="right")
    for name, rows in report.tables.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


def _print_logins() -> None:
    table = Table(title="Demo logins (demo-only password, shared by every demo account)")
    table.add_column("username")
    table.add_column("who")
    table.add_column("password")
    for login in DEMO_LOGINS:
        table.add_row(login.username, login.who, DEMO_PASSWORD)
    console.print(table)


@demo_app.command("load")
def demo_load(
    seed: Annotated[int, typer.Option(help="Seed of the generated data")] = DEFAULT_SEED,
    citizens: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="Number of residents")
    ] = DEFAULT_CITIZENS,
    enterprises: Annotated[
        int, typer.Option(min=1, max=100_000, help="Number of enterprises")
    ] = DEFAULT_ENTERPRISES,
) -> None:
    """Load the demo province; rows already present are kept, so running it again is safe."""
    started = time.perf_counter()
    with console.status("Generating the demo province..."):
        plan = build_plan(seed=seed, citizens=citizens, enterprises=enterprises)
    with session_scope() as session, _StageProgress() as progress:
        report = load_demo(session, plan, progress=progress)
    _print_report(report, time.perf_counter() - started)
    _print_logins()


# --- user ------------------------------------------------------------------------------------


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Sign-in name: letters, digits, . _ -")],
    display_name: Annotated[str, typer.Option(help="Name shown to others")],
    department: Annotated[str, typer.Option(metavar="CODE", help="Department code")],
    role: Annotated[
        list[Role] | None, typer.Option(help="A role to grant (repeat for several)")
    ] = None,
    email: Annotated[str | None, typer.Option(help="E-mail address")] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Password (prefer the prompt: arguments end up in shell history)",
        ),
    ] = "",
) -> None:
    """Create an official of a department with the given roles."""
    with session_scope() as session:
        unit = identity_service.find_department_by_code(session, department)
        data = OfficialCreate(
            username=username,
            password=password,
            display_name=display_name,
            department_id=unit.id,
            roles=role or [Role.OFFICIAL],
            email=email,
        )
        account = identity_service.create_official(
            session, principal=operator(unit.division_code), data=data
        )
        roles = ", ".join(sorted(str(r) for r in account.roles))
        where = f"{unit.name} ({unit.code})"
    console.print(f"Created official [bold]{escape(username)}[/bold] in {escape(where)}")
    console.print(f"roles: {roles}")


# --- dept ------------------------------------------------------------------------------------


def _departments_under(session: Session, root: str) -> list[Department]:
    """Return every department in the subtree of division `root`, by code."""
    principal = operator(root)
    found: list[Department] = []
    while True:
        rows, total = identity_service.list_departments(
            session, principal=principal, limit=PAGE, offset=len(found)
        )
        found.extend(rows)
        if not rows or len(found) >= total:
            return found


@dept_app.command("list")
def dept_list(
    division: Annotated[
        str | None,
        typer.Option(metavar="CODE", help="Only departments in this division's subtree"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """List departments, optionally within one division's subtree."""
    if division is not None and division_level(division) is None:
        fail(f"malformed division code {division!r}", EXIT_BAD_ARGUMENTS)
    with session_scope() as session:
        if division is not None:
            roots = [identity_service.get_division(session, division).code]
        else:
            provinces, _ = identity_service.list_divisions(session, limit=PAGE)
            roots = [province.code for province in provinces]
        departments = [d for root in roots for d in _departments_under(session, root)]
        rows = [(DepartmentRead.model_validate(d), d.division.name) for d in departments]
    if as_json:
        typer.echo(
            json.dumps([r.model_dump(mode="json") for r, _ in rows], ensure_ascii=False, indent=2)
        )
        return
    if not rows:
        console.print("No departments yet (try `govhub demo load`).")
        return
    table = Table(title=f"{len(rows)} departments")
    for column in ("code", "name", "type", "division"):
        table.add_column(column)
    for read, division_name in rows:
        place = f"{read.division_code} {division_name}"
        table.add_row(escape(read.code), escape(read.name), str(read.type), escape(place))
    console.print(table)


# --- keys ------------------------------------------------------------------------------------


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Sign new tokens with a fresh key; the previous key verifies until it retires."""
    with session_scope() as session:
        kid = tokens.rotate_keys(session)
    console.print(f"New signing key [bold]{kid}[/bold]; earlier tokens stay valid until expiry.")
