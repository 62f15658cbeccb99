"""The streaming audit: chunk sizes change nothing it finds, and memory stays per chunk."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from govhub.ledger import service
from govhub.ledger.audit import audit_log
from tests.ledger.helpers import record_many


@pytest.fixture
def log(session: Session) -> Session:
    """A ledger of 12 entries in four checkpoints (the first of the empty tree)."""
    service.integrate(session)
    for count in (5, 4, 3):
        record_many(session, count)
        service.integrate(session)
    return session


def _findings(session: Session, chunk: int) -> list[str]:
    return [str(f) for f in audit_log(session, chunk=chunk).findings]


class TestChunks:
    @pytest.mark.parametrize("chunk", [1, 3, 5, 7, 100])
    def test_an_untouched_log_verifies_with_any_chunk(self, log: Session, chunk: int) -> None:
        calls: list[tuple[int, int]] = []
        report = audit_log(
            log, chunk=chunk, progress=lambda done, total: calls.append((done, total))
        )
        assert report.ok, report.findings
        assert (report.tree_size, report.checkpoints) == (12, 4)
        assert calls[-1] == (12, 12)
        assert len(calls) == -(-12 // chunk)

    @pytest.mark.parametrize("chunk", [1, 3, 5, 100])
    def test_tampered_subtree_hashes_are_found_with_any_chunk(
        self, log: Session, chunk: int
    ) -> None:
        log.execute(text("UPDATE ledger_nodes SET hash = :h WHERE level = 2 AND position = 1"),
                    {"h": b"\x01" * 32})  # fmt: skip
        log.execute(text("DELETE FROM ledger_nodes WHERE level = 1 AND position = 5"))
        log.execute(text("INSERT INTO ledger_nodes (level, position, hash) VALUES (1, 9, :h)"),
                    {"h": b"\x02" * 32})  # fmt: skip
        assert sorted(_findings(log, chunk)) == [
            "index 10: subtree hash (1, 5) is missing",
            "index 18: unexpected subtree hash (1, 9)",
            "index 4: subtree hash (2, 1) does not match",
        ]

    @pytest.mark.parametrize("chunk", [2, 100])
    def test_a_changed_entry_is_named_with_its_index(self, log: Session, chunk: int) -> None:
        log.execute(text("UPDATE ledger_entries SET kind = 'approval' WHERE log_index = 11"))
        findings = _findings(log, chunk)
        assert findings[0] == "index 11: entry content does not match its leaf hash"
        # The tree is re-derived from the contents, so the hashes above it differ too.
        assert "index 10: subtree hash (1, 5) does not match" in findings
        assert "log: checkpoint 12: root does not match the entries" in findings

    def test_a_gap_stops_the_tree_and_leaves_later_checkpoints_unmatched(
        self, log: Session
    ) -> None:
        log.execute(text("DELETE FROM ledger_entries WHERE log_index = 6"))
        findings = _findings(log, 4)
        assert findings[0] == "index 6: entry is missing (next stored: 7)"
        assert "index 6: checkpoint 9: entries missing" in findings
        assert "index 6: checkpoint 12: entries missing" in findings
        assert "index 6: unexpected subtree hash (1, 3)" in findings

    def test_a_stored_node_of_an_impossible_level(self, log: Session) -> None:
        log.execute(text("INSERT INTO ledger_nodes (level, position, hash) VALUES (0, 1, :h)"),
                    {"h": b"\x02" * 32})  # fmt: skip
        assert _findings(log, 5) == ["index 1: unexpected subtree hash (0, 1)"]

    def test_an_empty_log(self, session: Session) -> None:
        report = audit_log(session)
        assert (report.ok, report.tree_size, report.checkpoints) == (True, 0, 0)
