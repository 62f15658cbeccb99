"""`govhub sharing remind` against the test database."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.data.sharing.helpers import make_request, shareable
from tests.factories import World
from tests.test_cli import flat, run


class TestRemind:
    def test_lists_grants_expiring_soon_once(self, session: Session, world: World) -> None:
        resource = shareable(session, world, "unconditional")
        make_request(session, world, world.city_b_admin, resource, duration_days=5)
        make_request(session, world, world.city_b_admin, resource, duration_days=200)
        session.commit()

        first = run("sharing", "remind", "--days", "30")
        assert first.exit_code == 0, first.output
        out = flat(first.stdout)
        assert resource.identifier in out
        assert "1 grant(s) marked as reminded" in out

        again = run("sharing", "remind", "--days", "30")
        assert "No grant expires within 30 days" in flat(again.stdout)

    def test_bad_window(self) -> None:
        result = run("sharing", "remind", "--days", "0")
        assert result.exit_code == 2
        assert "--days" in flat(result.output)
