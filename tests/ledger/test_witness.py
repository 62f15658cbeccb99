"""Witnesses: cosign consistent checkpoints; refuse forgeries, rollbacks and forks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from govhub import cli
from govhub.identity.models import Account
from govhub.ledger import merkle, proofs, service
from govhub.ledger.checkpoint import Checkpoint, Note, NoteSigner, open_checkpoint
from govhub.ledger.cli import HttpSource, run_witness
from govhub.ledger.models import LedgerCosignature
from govhub.ledger.witness import (
    WitnessRejected,
    WitnessState,
    load_state,
)
from tests.factories import World
from tests.ledger.helpers import add_witness, record_many

runner = CliRunner()


def _grow(session: Session, count: int) -> str:
    record_many(session, count)
    service.integrate(session)
    return proofs.latest_checkpoint(session).note


class TestWitness:
    def test_cosigns_each_consistent_step(self, session: Session, world: World) -> None:
        witness = add_witness(session, world.principal(world.city_a_admin), world.city_a_market.id)
        first = _grow(session, 3)
        assert witness.cosign(first, [])[0].size == 3
        second = _grow(session, 5)
        proof = proofs.consistency_proof(session, 3, 8)
        checkpoint, signature = witness.cosign(second, proof, now=1_900_000_000)
        assert witness.state == WitnessState(8, checkpoint.root)
        body = Note.parse(second).body
        assert witness.signer.verifier.cosignature_time(body, signature) == 1_900_000_000

    def test_rejects_a_forged_signature(self, session: Session, world: World) -> None:
        witness = add_witness(session, world.principal(world.city_a_admin), world.city_a_market.id)
        note = Note.parse(_grow(session, 2))
        impostor = NoteSigner(service.origin(), Ed25519PrivateKey.generate())
        forged = Note(note.body, (impostor.sign(note.body),)).text()
        with pytest.raises(WitnessRejected, match="no valid signature"):
            witness.cosign(forged, [])
        assert witness.state is None

    def test_rejects_a_rollback(self, session: Session, world: World) -> None:
        witness = add_witness(session, world.principal(world.city_a_admin), world.city_a_market.id)
        old = _grow(session, 2)
        witness.cosign(_grow(session, 2), [])
        with pytest.raises(WitnessRejected, match="rollback from size 4 to 2"):
            witness.cosign(old, [])

    def test_rejects_a_fork(self, session: Session, world: World) -> None:
        witness = add_witness(session, world.principal(world.city_a_admin), world.city_a_market.id)
        witness.cosign(_grow(session, 3), [])
        assert witness.state is not None
        signer = service.log_signer()
        other = Checkpoint(service.origin(), 3, b"\x07" * 32).body()
        same_size_fork = Note(other, (signer.sign(other),)).text()
        with pytest.raises(WitnessRejected, match="fork"):
            witness.cosign(same_size_fork, [])
        bigger = Checkpoint(service.origin(), 5, b"\x07" * 32).body()
        fork = Note(bigger, (signer.sign(bigger),)).text()
        record_many(session, 2)
        service.integrate(session)
        with pytest.raises(WitnessRejected, match="fork or inconsistent proof"):
            witness.cosign(fork, proofs.consistency_proof(session, 3, 5))
        assert witness.state.size == 3


class TestRunWitness:
    def test_over_the_api_with_a_department_token(
        self,
        session: Session,
        world: World,
        client: TestClient,
        login: Callable[[Account], dict[str, str]],
    ) -> None:
        witness = add_witness(session, world.principal(world.city_a_admin), world.city_a_market.id)
        _grow(session, 3)
        source = HttpSource(client, login(world.city_a_admin))
        assert run_witness(source, witness)[0] == 3
        _grow(session, 4)
        assert run_witness(source, witness)[0] >= 7
        text = client.get("/api/v1/ledger/checkpoint").text
        verifier = witness.signer.verifier
        _, _, cosigners = open_checkpoint(
            text, service.log_verifier(), witnesses=(verifier,), min_cosignatures=1
        )
        assert cosigners == [verifier.name]

    def test_another_departments_token_is_refused(
        self,
        session: Session,
        world: World,
        client: TestClient,
        login: Callable[[Account], dict[str, str]],
    ) -> None:
        witness = add_witness(session, world.principal(world.city_a_admin), world.city_a_market.id)
        _grow(session, 2)
        with pytest.raises(WitnessRejected, match="404"):
            run_witness(HttpSource(client, login(world.city_b_admin)), witness)
        assert session.scalars(select(LedgerCosignature)).first() is None


class TestCommand:
    def test_add_and_run_a_witness_against_the_database(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        key, state = tmp_path / "witness.key", tmp_path / "state.json"
        added = runner.invoke(
            cli.app,
            ["ledger", "witness-add", "--name", "a.witness", "--department",
             world.city_a_market.code, "--key-file", str(key)],
        )  # fmt: skip
        assert added.exit_code == 0, added.output
        assert key.stat().st_mode & 0o777 == 0o600
        args = ["ledger", "witness", "--name", "a.witness", "--key-file", str(key),
                "--state-file", str(state)]  # fmt: skip
        for count in (3, 2):
            _grow(session, count)
            result = runner.invoke(cli.app, args)
            assert result.exit_code == 0, result.output
        assert "tree size 5" in result.output
        saved = load_state(state)
        assert saved is not None
        assert saved.size == 5
        assert session.get(LedgerCosignature, (5, "a.witness")) is not None

    def test_a_rolled_back_state_is_refused(
        self, session: Session, world: World, tmp_path: Path
    ) -> None:
        key, state = tmp_path / "witness.key", tmp_path / "state.json"
        runner.invoke(
            cli.app,
            ["ledger", "witness-add", "--name", "a.witness", "--department",
             world.city_a_market.code, "--key-file", str(key)],
        )  # fmt: skip
        _grow(session, 2)
        state.write_text(WitnessState(9, b"\x00" * 32).dumps())
        result = runner.invoke(
            cli.app,
            ["ledger", "witness", "--name", "a.witness", "--key-file", str(key),
             "--state-file", str(state)],
        )  # fmt: skip
        assert result.exit_code == 1
        assert "rollback from size 9 to 2" in " ".join(result.stderr.split())
        assert load_state(state) == WitnessState(9, b"\x00" * 32)


def test_a_witness_starting_from_the_empty_tree(session: Session, world: World) -> None:
    witness = add_witness(session, world.principal(world.city_a_admin), world.city_a_market.id)
    witness.state = WitnessState(0, merkle.EMPTY_ROOT)
    assert witness.cosign(_grow(session, 2), [])[0].size == 2
