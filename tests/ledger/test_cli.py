"""`govhub ledger`: integrate, checkpoint, and verify catching every kind of tampering."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from govhub import cli
from govhub.ledger import merkle, proofs, service
from govhub.ledger.models import LedgerEntry
from govhub.ledger.witness import new_key_file
from tests.factories import World
from tests.ledger.helpers import add_witness, record_many

runner = CliRunner()


def run(*args: str) -> Result:
    """Invoke `govhub ledger ...`."""
    return runner.invoke(cli.app, ["ledger", *args])


def flat(value: str) -> str:
    """Collapse whitespace."""
    return " ".join(value.split())


@pytest.fixture
def log(session: Session) -> Session:
    """A ledger of 12 entries in three checkpoints."""
    for count in (5, 4, 3):
        record_many(session, count)
        service.integrate(session)
    return session


def _verify_fails_at(index: int, message: str) -> None:
    result = run("verify")
    assert result.exit_code == 1, result.output
    assert f"index {index}: {message}" in flat(result.stderr)
    assert "ledger verification failed" in flat(result.stderr)


class TestIntegrateAndCheckpoint:
    def test_integrate_then_print_the_checkpoint(self, session: Session) -> None:
        record_many(session, 3)
        session.flush()
        result = run("integrate")
        assert result.exit_code == 0, result.output
        assert "Integrated 3 entries; the tree has 3 entries." in flat(result.output)
        printed = run("checkpoint")
        assert printed.output.split("\n")[:2] == [service.origin(), "3"]
        assert "\u2014 " in printed.output

    def test_verify_accepts_an_untouched_log(self, log: Session) -> None:
        result = run("verify")
        assert result.exit_code == 0, result.stderr
        assert "verified: 12 entries, 3 checkpoints" in flat(result.output)


class TestTampering:
    def test_changed_entry(self, log: Session) -> None:
        log.execute(text("UPDATE ledger_entries SET actor = 'someone-else' WHERE log_index = 7"))
        _verify_fails_at(7, "entry content does not match its leaf hash")

    def test_changed_entry_with_a_recomputed_leaf(self, log: Session) -> None:
        log.execute(text("UPDATE ledger_entries SET subject = 'forged' WHERE log_index = 6"))
        log.expire_all()
        row = log.get(LedgerEntry, 6)
        assert row is not None
        leaf = merkle.leaf_hash(service.entry_leaf_data(row))
        log.execute(
            text("UPDATE ledger_entries SET leaf_hash = :h WHERE log_index = 6"), {"h": leaf}
        )
        _verify_fails_at(6, "subtree hash (1, 3) does not match")

    def test_deleted_entry(self, log: Session) -> None:
        log.execute(text("DELETE FROM ledger_entries WHERE log_index = 4"))
        _verify_fails_at(4, "entry is missing")

    def test_reordered_entries(self, log: Session) -> None:
        log.execute(text("UPDATE ledger_entries SET log_index = -1 WHERE log_index = 2"))
        log.execute(text("UPDATE ledger_entries SET log_index = 2 WHERE log_index = 3"))
        log.execute(text("UPDATE ledger_entries SET log_index = 3 WHERE log_index = -1"))
        _verify_fails_at(2, "entry content does not match its leaf hash")
        _verify_fails_at(3, "entry content does not match its leaf hash")

    def test_inserted_entry(self, log: Session) -> None:
        log.execute(
            text(
                "INSERT INTO ledger_entries (log_index, kind, actor, subject, payload_digest, "
                "recorded_at, leaf_hash) VALUES (12, 'approval', 'x', 'y', :d, :at, :h)"
            ),
            {"d": "0" * 64, "at": "2026-11-23 10:00:00+00:00", "h": b"\x00" * 32},
        )
        _verify_fails_at(12, "entries not covered by any checkpoint")

    def test_changed_subtree_hash(self, log: Session) -> None:
        log.execute(text("UPDATE ledger_nodes SET hash = :h WHERE level = 2 AND position = 1"),
                    {"h": b"\x01" * 32})  # fmt: skip
        _verify_fails_at(4, "subtree hash (2, 1) does not match")

    def test_deleted_subtree_hash(self, log: Session) -> None:
        log.execute(text("DELETE FROM ledger_nodes WHERE level = 1 AND position = 5"))
        _verify_fails_at(10, "subtree hash (1, 5) is missing")

    def test_inserted_subtree_hash(self, log: Session) -> None:
        log.execute(text("INSERT INTO ledger_nodes (level, position, hash) VALUES (1, 9, :h)"),
                    {"h": b"\x02" * 32})  # fmt: skip
        _verify_fails_at(18, "unexpected subtree hash (1, 9)")

    def test_forged_checkpoint_signature(self, log: Session) -> None:
        note = proofs.get_checkpoint(log, 9).note
        forged = note.replace("\n9\n", "\n10\n")
        log.execute(text("UPDATE ledger_checkpoints SET note = :n WHERE tree_size = 9"),
                    {"n": forged})  # fmt: skip
        result = run("verify")
        assert result.exit_code == 1
        assert "checkpoint 9: the checkpoint carries no valid signature" in flat(result.stderr)


class TestCheckpointTampering:
    def test_a_checkpoint_row_that_disagrees_with_its_note(self, log: Session) -> None:
        log.execute(text("UPDATE ledger_checkpoints SET root_hash = :h WHERE tree_size = 5"),
                    {"h": b"\x03" * 32})  # fmt: skip
        result = run("verify")
        assert result.exit_code == 1
        assert "checkpoint 5: row and note differ" in flat(result.stderr)

    def test_a_swapped_cosignature(self, log: Session, world: World) -> None:
        admin = world.principal(world.city_a_admin)
        witness = add_witness(log, admin, world.city_a_market.id)
        for size, proof in ((9, []), (12, proofs.consistency_proof(log, 9, 12))):
            _, signature = witness.cosign(proofs.get_checkpoint(log, size).note, proof)
            service.add_cosignature(
                log, principal=admin, tree_size=size, signature=signature.line()
            )
        assert run("verify").exit_code == 0
        log.execute(text(
            "UPDATE ledger_cosignatures SET signature = (SELECT signature FROM ledger_cosignatures"
            " WHERE tree_size = 12) WHERE tree_size = 9"))  # fmt: skip
        result = run("verify")
        assert result.exit_code == 1
        assert "checkpoint 9: a cosignature does not verify" in flat(result.stderr)


class TestWitnessArguments:
    def test_url_needs_a_token_and_a_log_key(self, tmp_path: Path) -> None:
        files = ["--key-file", str(tmp_path / "k"), "--state-file", str(tmp_path / "s")]
        result = run("witness", "--name", "w", *files, "--url", "http://127.0.0.1:9")
        assert result.exit_code == 2
        assert "--url needs --log-key" in flat(result.output + result.stderr)

    def test_a_malformed_log_key(self, tmp_path: Path) -> None:
        key = tmp_path / "k"
        new_key_file(key)
        result = run("witness", "--name", "w", "--key-file", str(key),
                     "--state-file", str(tmp_path / "s"), "--log-key", "nonsense")  # fmt: skip
        assert result.exit_code == 2
        assert "--log-key" in flat(result.output + result.stderr)

    def test_witness_add_refuses_to_overwrite_a_key(self, tmp_path: Path, world: World) -> None:
        key = tmp_path / "k"
        key.write_text("keep me\n")
        result = run("witness-add", "--name", "w", "--department", world.city_a_market.code,
                     "--key-file", str(key))  # fmt: skip
        assert result.exit_code == 2
        assert key.read_text() == "keep me\n"
