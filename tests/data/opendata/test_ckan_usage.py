"""Usage counts: gathered in memory, saved in batches, kept when a save fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from govhub.data.opendata import usage
from govhub.data.opendata.models import UsageDaily
from tests.data.opendata.conftest import Catalog


class TestUsageBuffer:
    def test_counts_add_up_across_saves(self, session: Session, catalog: Catalog) -> None:
        rid = catalog.public.id
        usage.buffer.count(rid, usage.Usage.API_CALL, 3)
        usage.buffer.count(rid, usage.Usage.VIEW)
        usage.buffer.save()
        usage.buffer.count(rid, usage.Usage.API_CALL)
        usage.buffer.count(rid, usage.Usage.DOWNLOAD, 2)
        usage.buffer.save()
        assert usage.totals(session, rid) == {"api_calls": 4, "downloads": 2, "views": 1}
        assert len(session.scalars(select(UsageDaily)).all()) == 1

    def test_a_failed_save_keeps_the_counts(
        self, session: Session, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        @contextmanager
        def unreachable() -> Iterator[Session]:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
            yield session  # pragma: no cover - never reached

        rid = catalog.public.id
        usage.buffer.count(rid, usage.Usage.API_CALL, 5)
        with monkeypatch.context() as patch:
            patch.setattr(usage, "session_scope", unreachable)
            usage.buffer.save()  # no exception reaches the caller
        assert usage.totals(session, rid)["api_calls"] == 0
        usage.buffer.save()
        assert usage.totals(session, rid)["api_calls"] == 5
