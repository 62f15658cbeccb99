"""The `govhub` command line, run in-process against the test database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from govhub import cli
from govhub.core import db
from govhub.core.settings import get_settings
from govhub.demo import DEMO_LOGINS, DEMO_PASSWORD
from govhub.identity import authn
from govhub.identity.models import (
    Account,
    AccountKind,
    AuditAction,
    AuditEvent,
    Department,
    SigningKey,
)
from govhub.identity.permissions import Role
from tests.factories import World

runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> Result:
    """Invoke `govhub` with `args`."""
    return runner.invoke(cli.app, list(args), input=stdin)


def flat(text: str) -> str:
    """Collapse whitespace, so assertions do not depend on the terminal width."""
    return " ".join(text.split())


def count(session: Session, model: type[Any], *where: Any) -> int:
    """Count rows of `model` matching `where`."""
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the settings and sessions at an empty SQLite file (no schema yet)."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("GOVHUB_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = db.make_engine(url)
    monkeypatch.setattr(db, "get_sessionmaker", lambda: sessionmaker(bind=engine))
    yield url
    engine.dispose()
    monkeypatch.undo()
    get_settings.cache_clear()


class TestUsage:
    def test_unknown_command_is_a_usage_error(self) -> None:
        result = run("frobnicate")
        assert result.exit_code == 2
        assert "No such command" in flat(result.output)

    def test_help_lists_every_command(self) -> None:
        result = run("--help")
        assert result.exit_code == 0
        for command in ("serve", "db", "demo", "user", "dept", "keys"):
            assert command in result.stdout


class TestServe:
    @pytest.fixture
    def served(self, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
        """Capture what would be handed to Uvicorn (the server itself is not started)."""
        calls: list[dict[str, Any]] = []

        def fake_run(app: str, **options: Any) -> None:
            calls.append({"app": app, **options})

        monkeypatch.setattr(uvicorn, "run", fake_run)
        return calls

    def test_runs_the_app_factory_and_prints_the_url(self, served: list[dict[str, Any]]) -> None:
        result = run("serve", "--host", "0.0.0.0", "--port", "8123", "--reload")  # noqa: S104
        assert result.exit_code == 0, result.output
        assert "http://0.0.0.0:8123" in result.stdout
        assert served == [
            {
                "app": "govhub.api:create_app",
                "factory": True,
                "host": "0.0.0.0",  # noqa: S104
                "port": 8123,
                "reload": True,
            }
        ]

    def test_defaults_come_from_the_settings(self, served: list[dict[str, Any]]) -> None:
        result = run("serve")
        assert result.exit_code == 0
        settings = get_settings()
        assert f"http://{settings.host}:{settings.port}" in result.stdout
        assert served[0]["reload"] is False

    def test_ipv6_hosts_are_bracketed(self, served: list[dict[str, Any]]) -> None:
        result = run("serve", "--host", "::1", "--port", "9000")
        assert "http://[::1]:9000" in result.stdout

    @pytest.mark.parametrize("port", ["0", "70000", "http"])
    def test_bad_port(self, served: list[dict[str, Any]], port: str) -> None:
        result = run("serve", "--port", port)
        assert result.exit_code == 2
        assert "--port" in flat(result.output)
        assert served == []


class TestDb:
    def test_upgrade_creates_the_schema(self, fresh_database: str) -> None:
        result = run("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert "current revision" in result.stdout
        engine = db.make_engine(fresh_database)
        try:
            assert {"accounts", "departments", "divisions"} <= set(
                inspect(engine).get_table_names()
            )
        finally:
            engine.dispose()
        current = run("db", "current", "--check")
        assert current.exit_code == 0
        assert "up to date" in current.stdout

    def test_unknown_revision(self, fresh_database: str) -> None:
        result = run("db", "upgrade", "--revision", "nonsense")
        assert result.exit_code == 2
        assert "nonsense" in result.stderr
        assert "Traceback" not in result.output

    def test_current_on_an_empty_database(self, fresh_database: str) -> None:
        result = run("db", "current")
        assert result.exit_code == 0
        assert "behind" in result.stdout
        checked = run("db", "current", "--check")
        assert checked.exit_code == 1
        assert "govhub db upgrade" in checked.stderr

    def test_current_on_the_migrated_test_database(self, session_factory: Any) -> None:
        result = run("db", "current")
        assert result.exit_code == 0
        assert "up to date" in result.stdout

    def test_commands_before_migrating_report_a_database_error(self, fresh_database: str) -> None:
        result = run("dept", "list")
        assert result.exit_code == 1
        assert "database error" in result.stderr
        assert "govhub db upgrade" in result.stderr
        assert "Traceback" not in result.output


class TestDemoLoad:
    def test_loads_then_changes_nothing(self, session: Session) -> None:
        result = run("demo", "load", "--citizens", "25", "--enterprises", "5")
        assert result.exit_code == 0, result.output
        out = flat(result.stdout)
        assert "Demo province loaded" in out
        for login in DEMO_LOGINS:
            assert login.username in out
        assert DEMO_PASSWORD in out
        assert count(session, Account, Account.kind == AccountKind.CITIZEN) == 25
        assert count(session, Account, Account.kind == AccountKind.ENTERPRISE) == 5
        accounts = count(session, Account)

        again = run("demo", "load", "--citizens", "25", "--enterprises", "5")
        assert again.exit_code == 0
        assert "already loaded: nothing changed" in flat(again.stdout)
        assert "admin" in again.stdout
        assert count(session, Account) == accounts

    @pytest.mark.parametrize(
        "args",
        [("--citizens", "0"), ("--enterprises", "-1"), ("--seed", "x"), ("--citizens", "many")],
    )
    def test_bad_arguments(self, session: Session, args: tuple[str, str]) -> None:
        result = run("demo", "load", *args)
        assert result.exit_code == 2
        assert args[0] in flat(result.output)
        assert count(session, Account) == 0

    def test_refused_in_production(self, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GOVHUB_ENV", "production")
        get_settings.cache_clear()
        try:
            result = run("demo", "load", "--citizens", "5", "--enterprises", "5")
        finally:
            monkeypatch.delenv("GOVHUB_ENV")
            get_settings.cache_clear()
        assert result.exit_code == 1
        assert "never loaded into production" in flat(result.stderr)
        assert count(session, Account) == 0


class TestUserCreate:
    ARGS = ("user", "create", "--display-name", "张伟", "--department", "A-SCJG")

    def test_creates_an_official_with_roles(self, session: Session, world: World) -> None:
        result = run(
            *self.ARGS,
            "--username",
            "zhang.wei",
            "--role",
            "approver",
            "--role",
            "regulator",
            "--password",
            "a-long-enough-password",
        )
        assert result.exit_code == 0, result.output
        assert "zhang.wei" in result.stdout
        assert "approver, official, regulator" in result.stdout
        account = session.scalar(select(Account).where(Account.username == "zhang.wei"))
        assert account is not None
        assert account.kind is AccountKind.OFFICIAL
        assert account.department_id == world.city_a_market.id
        assert account.roles == {Role.OFFICIAL, Role.APPROVER, Role.REGULATOR}
        assert authn.verify_password(account.password_hash, "a-long-enough-password")
        actions = set(
            session.scalars(select(AuditEvent.action).where(AuditEvent.account_id == account.id))
        )
        assert actions == {AuditAction.ACCOUNT_CREATED, AuditAction.ROLES_CHANGED}

    def test_prompts_for_the_password_without_echoing_it(
        self, session: Session, world: World
    ) -> None:
        secret = "typed-at-the-prompt"
        result = run(*self.ARGS, "--username", "li.na", stdin=f"{secret}\n{secret}\n")
        assert result.exit_code == 0, result.output
        assert secret not in result.output
        account = session.scalar(select(Account).where(Account.username == "li.na"))
        assert account is not None
        assert account.roles == {Role.OFFICIAL}
        assert authn.verify_password(account.password_hash, secret)

    def test_duplicate_username(self, session: Session, world: World) -> None:
        taken = world.city_a_official.username
        result = run(*self.ARGS, "--username", taken, "--password", "a-long-enough-password")
        assert result.exit_code == 1
        assert f"username {taken!r} is taken" in flat(result.stderr)
        assert "Traceback" not in result.output

    def test_unknown_department(self, session: Session, world: World) -> None:
        result = run(
            "user",
            "create",
            "--username",
            "wang.fang",
            "--display-name",
            "王芳",
            "--department",
            "NO-SUCH",
            "--password",
            "a-long-enough-password",
        )
        assert result.exit_code == 1
        assert "no department with code 'NO-SUCH'" in flat(result.stderr)
        assert count(session, Account, Account.username == "wang.fang") == 0

    def test_invalid_username_and_short_password(self, session: Session, world: World) -> None:
        result = run(*self.ARGS, "--username", "a b", "--password", "short-pw")
        assert result.exit_code == 2
        err = flat(result.stderr)
        assert "--username" in err
        assert "--password" in err
        assert "short-pw" not in result.output
        assert count(session, Account, Account.display_name == "张伟") == 0

    @pytest.mark.parametrize(
        ("role", "message"),
        [("wizard", "Invalid value for '--role'"), ("citizen", "not roles of an official")],
    )
    def test_bad_roles(self, session: Session, world: World, role: str, message: str) -> None:
        result = run(
            *self.ARGS, "--username", "zhao.lei", "--role", role, "--password", "long-password-1"
        )
        assert result.exit_code == 2
        assert message in flat(result.output)
        assert count(session, Account, Account.username == "zhao.lei") == 0

    def test_missing_required_option(self, session: Session, world: World) -> None:
        result = run("user", "create", "--username", "zhou.min", "--password", "long-password-1")
        assert result.exit_code == 2
        assert "--display-name" in flat(result.output)


class TestDeptList:
    def test_table_of_every_department(self, session: Session, world: World) -> None:
        result = run("dept", "list")
        assert result.exit_code == 0, result.output
        for code in ("P-BDB", "A-SCJG", "A-SWJ", "A1-SCJG", "B-SCJG"):
            assert code in result.stdout
        assert "5 departments" in result.stdout

    def test_json_within_a_division_subtree(self, session: Session, world: World) -> None:
        result = run("dept", "list", "--division", "330100", "--json")
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert [row["code"] for row in rows] == ["A-SCJG", "A-SWJ", "A1-SCJG"]
        assert rows[0]["id"] == str(world.city_a_market.id)
        assert rows[0]["division_code"] == "330100"

    def test_empty_database(self, session_factory: Any) -> None:
        result = run("dept", "list")
        assert result.exit_code == 0
        assert "No departments yet" in result.stdout

    def test_unknown_division(self, session: Session, world: World) -> None:
        result = run("dept", "list", "--division", "330900")
        assert result.exit_code == 1
        assert "no division 330900" in result.stderr

    @pytest.mark.parametrize("code", ["abc", "3301", "000000"])
    def test_malformed_division(self, session: Session, world: World, code: str) -> None:
        result = run("dept", "list", "--division", code)
        assert result.exit_code == 2
        assert "malformed division code" in result.stderr

    def test_after_the_demo_load(self, session: Session) -> None:
        assert run("demo", "load", "--citizens", "3", "--enterprises", "3").exit_code == 0
        result = run("dept", "list", "--division", "330102", "--json")
        codes = {row["code"] for row in json.loads(result.stdout)}
        assert codes == {
            f"HZ-SC-{kind}" for kind in ("SCJG", "SW", "GA", "MZ", "WJ", "STHJ", "RS", "DSJ")
        }
        assert count(session, Department) == 97


class TestKeysRotate:
    def test_rotates_and_audits(self, session: Session) -> None:
        first = run("keys", "rotate")
        second = run("keys", "rotate")
        assert first.exit_code == second.exit_code == 0
        keys = list(session.scalars(select(SigningKey).order_by(SigningKey.id)))
        assert len(keys) == 2
        assert keys[0].superseded_at is not None
        assert keys[1].superseded_at is None
        assert keys[0].kid in first.stdout
        assert keys[1].kid in second.stdout
        events = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.KEY_ROTATED))
        )
        assert sorted(e.detail["kid"] for e in events) == sorted(k.kid for k in keys)

    def test_takes_no_arguments(self, session: Session) -> None:
        result = run("keys", "rotate", "now")
        assert result.exit_code == 2
        assert count(session, SigningKey) == 0
