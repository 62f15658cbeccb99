"""`govhub services tick` against the test database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.identity import authn
from govhub.services import service
from govhub.services.models import Task
from tests.factories import World
from tests.services.helpers import build_catalog, resident, sc001
from tests.test_cli import flat, run


class TestTickCli:
    def test_fires_due_timers_once(self, session: Session, world: World) -> None:
        build_catalog(session, world)
        citizen = authn.principal_for(resident(session))
        application, _ = service.submit(session, principal=citizen, data=sc001(session, citizen))
        session.commit()
        task = session.scalars(select(Task).where(Task.application_id == application.id)).one()
        assert task.remind_at is not None
        early = run("services", "tick")
        assert early.exit_code == 0, early.output
        assert "0 application(s): 0 reminder(s), 0 escalation(s)." in flat(early.stdout)
        at = (task.due_at + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
        result = run("services", "tick", "--at", at, "--batch", "10")
        assert result.exit_code == 0, result.output
        assert "1 application(s): 1 reminder(s), 1 escalation(s)." in flat(result.stdout)
        again = run("services", "tick", "--at", at)
        assert "0 application(s)" in flat(again.stdout)
        session.refresh(task)
        assert task.escalated_at is not None

    def test_bad_arguments(self) -> None:
        assert run("services", "tick", "--batch", "0").exit_code == 2
        assert run("services", "tick", "--at", "tomorrow").exit_code == 2
