"""The ledger API and the standalone verifier fed with what the API serves."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.identity.models import Account
from govhub.ledger import service
from govhub.ledger.models import LedgerCosignature
from govhub.ledger.schemas import EntryKind
from govhub.ledger.verify import VerificationFailed, verify_entry
from tests.factories import World
from tests.ledger.helpers import add_witness, record_many


@pytest.fixture
def grown(session: Session, world: World) -> World:
    """Ten public entries and one private entry of county A's market bureau, integrated."""
    record_many(session, 10)
    record_many(session, 1, kind=EntryKind.DATA_ACCESS, department_id=world.county_a_market.id)
    service.integrate(session)
    return world


class TestReads:
    def test_checkpoint_is_a_signed_note(self, client: TestClient, grown: World) -> None:
        response = client.get("/api/v1/ledger/checkpoint")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text.split("\n")[1] == "11"
        assert client.get("/api/v1/ledger/checkpoints/11").text == response.text

    def test_a_public_entry_verifies_standalone(self, client: TestClient, grown: World) -> None:
        entry = client.get("/api/v1/ledger/entries/4").json()
        proof = client.get("/api/v1/ledger/proofs/inclusion/4").json()
        note = client.get("/api/v1/ledger/checkpoint").text
        keys = client.get("/api/v1/ledger/keys").json()
        verified = verify_entry(entry, proof, note, log_key=keys["log"])
        assert (verified.index, verified.tree_size) == (4, 11)
        leaf = base64.b64decode(proof["leaf_hash"]).hex()
        by_leaf = client.get(f"/api/v1/ledger/proofs/leaf/{leaf}").json()
        assert by_leaf == proof

    def test_the_standalone_verifier_names_what_failed(
        self, client: TestClient, grown: World
    ) -> None:
        entry = client.get("/api/v1/ledger/entries/4").json()
        proof = client.get("/api/v1/ledger/proofs/inclusion/4").json()
        note = client.get("/api/v1/ledger/checkpoint").text
        key = client.get("/api/v1/ledger/keys").json()["log"]
        with pytest.raises(VerificationFailed, match="do not hash to the proven leaf"):
            verify_entry({**entry, "actor": "someone"}, proof, note, log_key=key)
        bad = {**proof, "hashes": [proof["hashes"][1], proof["hashes"][0], *proof["hashes"][2:]]}
        with pytest.raises(VerificationFailed, match="does not lead to the root"):
            verify_entry(entry, bad, note, log_key=key)
        with pytest.raises(VerificationFailed, match="no valid signature"):
            verify_entry(entry, proof, note.replace("\n11\n", "\n12\n"), log_key=key)
        with pytest.raises(VerificationFailed, match="0 valid cosignatures, 1 required"):
            verify_entry(entry, proof, note, log_key=key, min_cosignatures=1)

    def test_consistency_proof(self, client: TestClient, grown: World) -> None:
        body = client.get("/api/v1/ledger/proofs/consistency/3/11").json()
        assert (body["first"], body["second"]) == (3, 11)
        assert len(body["hashes"]) >= 2

    def test_private_entries_need_an_official_in_scope(
        self, client: TestClient, grown: World, login: Callable[[Account], dict[str, str]]
    ) -> None:
        assert client.get("/api/v1/ledger/entries/10").status_code == 404
        foreign = client.get("/api/v1/ledger/entries/10", headers=login(grown.city_b_admin))
        assert foreign.status_code == 404
        own = client.get("/api/v1/ledger/entries/10", headers=login(grown.city_a_official))
        assert own.status_code == 200
        assert own.json()["kind"] == "data_access"
        assert client.get("/api/v1/ledger/proofs/inclusion/10").status_code == 200

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/ledger/entries/-1",
            "/api/v1/ledger/entries/abc",
            "/api/v1/ledger/proofs/inclusion/0?tree_size=0",
            "/api/v1/ledger/proofs/leaf/xyz",
            "/api/v1/ledger/proofs/consistency/0/5",
            "/api/v1/ledger/proofs/consistency/5/99",
            "/api/v1/ledger/proofs/consistency/6/5",
        ],
    )
    def test_bad_input_is_a_problem(self, client: TestClient, grown: World, path: str) -> None:
        response = client.get(path)
        assert response.status_code in (400, 422)
        assert response.headers["content-type"].startswith("application/problem+json")

    def test_missing_things_are_404(self, client: TestClient, grown: World) -> None:
        for path in (
            "/api/v1/ledger/entries/99",
            "/api/v1/ledger/checkpoints/12",
            "/api/v1/ledger/proofs/inclusion/11",
            f"/api/v1/ledger/proofs/leaf/{'0' * 64}",
        ):
            assert client.get(path).status_code == 404, path

    def test_no_checkpoint_yet_is_404(self, client: TestClient) -> None:
        assert client.get("/api/v1/ledger/checkpoint").status_code == 404


class TestCosignatures:
    def test_bad_cosignatures_change_nothing(
        self,
        session: Session,
        client: TestClient,
        grown: World,
        login: Callable[[Account], dict[str, str]],
    ) -> None:
        witness = add_witness(session, grown.principal(grown.city_a_admin), grown.city_a_market.id)
        headers = login(grown.city_a_admin)
        note = client.get("/api/v1/ledger/checkpoint").text
        _, signature = witness.cosign(note, [])
        for body, status in (
            ({"tree_size": 11, "signature": "— nobody AAAA"}, 422),
            ({"tree_size": 11, "signature": signature.line() + "\nmore"}, 422),
            ({"tree_size": 10, "signature": signature.line()}, 404),
            ({"tree_size": 11, "signature": signature.line(), "extra": 1}, 422),
        ):
            response = client.post("/api/v1/ledger/cosignatures", json=body, headers=headers)
            assert response.status_code == status, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
        assert session.scalar(select(func.count()).select_from(LedgerCosignature)) == 0
        ok = client.post(
            "/api/v1/ledger/cosignatures",
            json={"tree_size": 11, "signature": signature.line()},
            headers=headers,
        )
        assert ok.status_code == 201
        keys = client.get("/api/v1/ledger/keys").json()
        assert [w["name"] for w in keys["witnesses"]] == ["tax.witness"]
        entry = client.get("/api/v1/ledger/entries/0").json()
        proof = client.get("/api/v1/ledger/proofs/inclusion/0").json()
        note = client.get("/api/v1/ledger/checkpoint").text
        verified = verify_entry(
            entry,
            proof,
            note,
            log_key=keys["log"],
            witness_keys=[w["vkey"] for w in keys["witnesses"]],
            min_cosignatures=1,
        )
        assert verified.cosigners == ["tax.witness"]


def test_the_verifier_rejects_a_mismatched_proof(client: TestClient, grown: World) -> None:
    entry = client.get("/api/v1/ledger/entries/4").json()
    proof = client.get("/api/v1/ledger/proofs/inclusion/4").json()
    older = client.get("/api/v1/ledger/proofs/inclusion/4?tree_size=8").json()
    note = client.get("/api/v1/ledger/checkpoint").text
    key = client.get("/api/v1/ledger/keys").json()["log"]
    with pytest.raises(VerificationFailed, match="another index"):
        verify_entry({**entry, "index": 5}, proof, note, log_key=key)
    with pytest.raises(VerificationFailed, match="different tree sizes"):
        verify_entry(entry, older, note, log_key=key)
    with pytest.raises(VerificationFailed, match="verifier key"):
        verify_entry(entry, proof, note, log_key="nonsense")
