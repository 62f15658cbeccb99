"""Recording, integration, proofs from stored subtree hashes, visibility and witnesses."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput, NotFound
from govhub.identity import authn
from govhub.identity import service as identity_service
from govhub.identity.permissions import Role
from govhub.ledger import merkle, proofs, service
from govhub.ledger.checkpoint import Checkpoint, Note, open_checkpoint, public_bytes
from govhub.ledger.models import LedgerEntry, LedgerNode, LedgerPending
from govhub.ledger.schemas import EntryKind
from tests.factories import PASSWORD, World
from tests.ledger.helpers import add_witness, record_many


def _memory(session: Session) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    rows = session.scalars(select(LedgerEntry).order_by(LedgerEntry.log_index))
    for entry in rows:
        tree.append(merkle.leaf_hash(service.entry_leaf_data(entry)))
    return tree


class TestRecord:
    def test_record_stores_a_digest_and_no_index(self, session: Session) -> None:
        service.record(
            session, kind=EntryKind.DATA_ACCESS, actor="a", subject="s", payload={"rows": 3}
        )
        entry = session.scalars(select(LedgerPending)).one()
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
        assert entry.payload_digest == service.payload_digest({"rows": 3})
        assert "rows" not in entry.payload_digest

    def test_canonical_json_ignores_key_order(self) -> None:
        assert service.payload_digest({"a": 1, "b": [1, 2]}) == service.payload_digest(
            {"b": [1, 2], "a": 1}
        )

    def test_bad_input_is_rejected(self, session: Session) -> None:
        with pytest.raises(InvalidInput):
            service.record(session, kind=EntryKind.APPROVAL, actor="", subject="s", payload={})
        with pytest.raises(InvalidInput):
            service.record(session, kind=EntryKind.APPROVAL, actor="a", subject="s", payload={1, 2})
        with pytest.raises(ValueError, match="not-a-kind"):
            service.record(
                session,
                kind="not-a-kind",  # type: ignore[arg-type]
                actor="a",
                subject="s",
                payload={},
            )
        assert session.scalar(select(func.count()).select_from(LedgerPending)) == 0


class TestIntegrate:
    def test_assigns_consecutive_indices_and_matches_the_memory_tree(
        self, session: Session
    ) -> None:
        record_many(session, 13)
        first = service.integrate(session)
        record_many(session, 20)
        second = service.integrate(session)
        assert (first.added, first.tree_size, second.added, second.tree_size) == (13, 13, 20, 33)
        subjects = session.scalars(select(LedgerEntry.subject).order_by(LedgerEntry.log_index))
        assert list(subjects) == [f"dataset:{i}" for i in (*range(13), *range(20))]
        assert session.scalar(select(func.count()).select_from(LedgerPending)) == 0
        tree = _memory(session)
        assert second.root == tree.root()
        stored = {(n.level, n.position): n.hash for n in session.scalars(select(LedgerNode))}
        assert stored == {k: v for k, v in tree.nodes.items() if k[0] > 0}

    def test_any_text_survives_integration_exactly(self, session: Session, world: World) -> None:
        odd = ["tab\there", "line\nbreak", "back\\slash\\N", "cr\rx", "\\x00ff", "县市场监管局 ✓"]
        for i, value in enumerate(odd):
            service.record(
                session,
                kind=EntryKind.DATA_ACCESS,
                actor=value,
                subject=f"{value}:{i}",
                payload={"v": value},
                department_id=world.city_a_market.id if i % 2 else None,
            )
        service.integrate(session)
        session.expire_all()
        entries = list(session.scalars(select(LedgerEntry).order_by(LedgerEntry.log_index)))
        assert [(e.actor, e.subject) for e in entries] == [
            (v, f"{v}:{i}") for i, v in enumerate(odd)
        ]
        assert [e.department_id for e in entries] == [
            world.city_a_market.id if i % 2 else None for i in range(len(odd))
        ]
        assert entries[0].recorded_at.tzinfo is not None
        assert _memory(session).root() == proofs.latest_checkpoint(session).root_hash
        for entry in entries:
            assert entry.leaf_hash == merkle.leaf_hash(service.entry_leaf_data(entry))

    def test_running_twice_integrates_each_entry_once(self, session: Session) -> None:
        record_many(session, 5)
        assert service.integrate(session).added == 5
        again = service.integrate(session)
        assert (again.added, again.tree_size) == (0, 5)
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 5

    def test_batches_are_limited(self, session: Session) -> None:
        record_many(session, 7)
        assert service.integrate(session, limit=3).added == 3
        assert service.integrate_all(session).tree_size == 7

    def test_each_integration_signs_a_checkpoint(self, session: Session) -> None:
        record_many(session, 4)
        service.integrate(session)
        row = proofs.latest_checkpoint(session)
        checkpoint, _, _ = open_checkpoint(row.note, service.log_verifier())
        assert checkpoint == Checkpoint(service.origin(), 4, _memory(session).root())

    def test_an_empty_log_gets_a_checkpoint_of_size_zero(self, session: Session) -> None:
        service.integrate(session)
        assert Note.parse(proofs.latest_checkpoint(session).note).body.split("\n")[1] == "0"


class TestProofs:
    def test_inclusion_and_consistency_proofs_verify(self, session: Session) -> None:
        record_many(session, 11)
        service.integrate(session)
        first_root = proofs.latest_checkpoint(session).root_hash
        record_many(session, 10)
        service.integrate(session)
        root = proofs.latest_checkpoint(session).root_hash
        for index in range(21):
            proof = proofs.inclusion_proof(session, index)
            merkle.verify_inclusion(index, 21, proof.leaf_hash, proof.hashes, root)
        older = proofs.inclusion_proof(session, 3, 11)
        merkle.verify_inclusion(3, 11, older.leaf_hash, older.hashes, first_root)
        hashes = proofs.consistency_proof(session, 11, 21)
        merkle.verify_consistency(11, 21, first_root, root, hashes)

    def test_lookup_by_leaf_hash(self, session: Session) -> None:
        record_many(session, 3)
        service.integrate(session)
        leaf = proofs.inclusion_proof(session, 2).leaf_hash
        assert proofs.index_of_leaf(session, leaf) == 2
        with pytest.raises(NotFound):
            proofs.index_of_leaf(session, b"\x00" * 32)

    def test_out_of_range_is_refused(self, session: Session) -> None:
        record_many(session, 3)
        service.integrate(session)
        with pytest.raises(NotFound):
            proofs.inclusion_proof(session, 3)
        with pytest.raises(InvalidInput):
            proofs.inclusion_proof(session, 0, 4)
        with pytest.raises(InvalidInput):
            proofs.consistency_proof(session, 0, 3)
        with pytest.raises(InvalidInput):
            proofs.consistency_proof(session, 2, 4)


class TestIdentityEvents:
    def test_an_official_login_is_recorded_without_personal_data(
        self, session: Session, world: World
    ) -> None:
        official = world.city_a_official
        authn.authenticate(session, username=official.username, password=PASSWORD, ip=None)
        entry = session.scalars(select(LedgerPending)).one()
        assert entry.kind == EntryKind.OFFICIAL_LOGIN
        assert entry.subject == str(official.id)
        assert entry.department_id == official.department_id
        assert official.username not in (entry.actor, entry.subject)

    def test_role_changes_are_recorded(self, session: Session, world: World) -> None:
        identity_service.set_roles(
            session,
            principal=world.principal(world.city_a_admin),
            account_id=world.city_a_official.id,
            roles=[Role.APPROVER],
        )
        entry = session.scalars(select(LedgerPending)).one()
        assert (entry.kind, entry.actor) == (EntryKind.ROLES_CHANGED, str(world.city_a_admin.id))

    def test_a_rolled_back_change_leaves_no_event(self, session: Session, world: World) -> None:
        with pytest.raises(InvalidInput), session.begin_nested():
            identity_service.set_roles(
                session,
                principal=world.principal(world.platform_admin),
                account_id=world.city_a_official.id,
                roles=[Role.CITIZEN],
            )
        assert session.scalar(select(func.count()).select_from(LedgerPending)) == 0


class TestVisibility:
    def test_public_kinds_are_readable_by_anyone(self, session: Session) -> None:
        record_many(session, 1)
        service.integrate(session)
        assert service.get_entry(session, principal=None, index=0).subject == "dataset:0"

    def test_private_kinds_need_an_official_in_scope(self, session: Session, world: World) -> None:
        record_many(session, 1, kind=EntryKind.DATA_ACCESS, department_id=world.county_a_market.id)
        service.integrate(session)
        for outsider in (None, world.principal(world.city_b_admin)):
            with pytest.raises(NotFound):
                service.get_entry(session, principal=outsider, index=0)
        reader = world.principal(world.city_a_official)
        assert service.get_entry(session, principal=reader, index=0).log_index == 0


class TestCosignatures:
    def test_a_witness_cosignature_is_stored_and_published(
        self, session: Session, world: World
    ) -> None:
        admin = world.principal(world.city_a_admin)
        witness = add_witness(session, admin, world.city_a_market.id)
        record_many(session, 3)
        service.integrate(session)
        row = proofs.latest_checkpoint(session)
        _, signature = witness.cosign(row.note, [])
        service.add_cosignature(session, principal=admin, tree_size=3, signature=signature.line())
        text = proofs.checkpoint_text(session, row)
        verifiers = (service.witness_verifier(w) for w in service.list_witnesses(session))
        _, _, cosigners = open_checkpoint(
            text, service.log_verifier(), witnesses=tuple(verifiers), min_cosignatures=1
        )
        assert cosigners == ["tax.witness"]

    def test_foreign_or_forged_cosignatures_are_refused(
        self, session: Session, world: World
    ) -> None:
        admin = world.principal(world.city_a_admin)
        witness = add_witness(session, admin, world.city_a_market.id)
        record_many(session, 2)
        service.integrate(session)
        note = proofs.latest_checkpoint(session).note
        _, signature = witness.cosign(note, [])
        with pytest.raises(NotFound):
            service.add_cosignature(
                session,
                principal=world.principal(world.city_b_admin),
                tree_size=2,
                signature=signature.line(),
            )
        forged = signature.line()[:-6] + (
            "AAAAA=" if not signature.line().endswith("AAAAA=") else "BBBBB="
        )
        with pytest.raises(InvalidInput):
            service.add_cosignature(session, principal=admin, tree_size=2, signature=forged)
        with pytest.raises(InvalidInput):
            service.add_cosignature(session, principal=admin, tree_size=2, signature="nonsense")


class TestLeafData:
    @given(
        st.integers(0, 2**62),
        st.text(max_size=30),
        st.text(min_size=1, max_size=30),
        st.text(min_size=1, max_size=30),
        st.none() | st.uuids(),
        st.datetimes(timezones=st.just(UTC)),
    )
    def test_leaf_bytes_are_the_canonical_json_of_the_entry(
        self,
        index: int,
        kind: str,
        actor: str,
        subject: str,
        department: uuid.UUID | None,
        at: datetime,
    ) -> None:
        data = service.leaf_data(
            index=index,
            kind=kind,
            actor=actor,
            subject=subject,
            department_id=department,
            payload_digest="ab" * 32,
            recorded_at=at,
        )
        expected = {
            "v": 1,
            "index": index,
            "kind": kind,
            "actor": actor,
            "subject": subject,
            "department": str(department) if department else None,
            "digest": "ab" * 32,
            "at": service.timestamp_text(at),
        }
        assert data == service.canonical_json(expected)
        assert json.loads(data) == expected


class TestKeysAndWitnessRegistration:
    def test_actor_identifiers(self, world: World) -> None:
        official = world.principal(world.city_a_official)
        assert service.actor_of(official) == str(world.city_a_official.id)
        client = replace(official, account_id=None, client_id="tax-system")
        assert service.actor_of(client) == "client:tax-system"
        assert service.actor_of(replace(client, client_id=None)) == f"service:{official.username}"

    def test_the_origin_can_be_configured(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GOVHUB_LEDGER_ORIGIN", "ledger.zj.gov.cn/v1")
        service.get_ledger_settings.cache_clear()
        try:
            assert service.origin() == "ledger.zj.gov.cn/v1"
            assert service.log_verifier().vkey.startswith("ledger.zj.gov.cn/v1+")
        finally:
            monkeypatch.delenv("GOVHUB_LEDGER_ORIGIN")
            service.get_ledger_settings.cache_clear()

    def test_registration_is_checked(self, session: Session, world: World) -> None:
        admin = world.principal(world.city_a_admin)
        key = public_bytes(Ed25519PrivateKey.generate().public_key())
        with pytest.raises(NotFound):
            service.register_witness(
                session,
                principal=world.principal(world.city_a_official),
                name="w",
                department_id=world.city_a_market.id,
                public_key=key,
            )
        with pytest.raises(NotFound):
            service.register_witness(
                session,
                principal=admin,
                name="w",
                department_id=world.city_b_market.id,
                public_key=key,
            )
        with pytest.raises(InvalidInput, match="invalid witness key"):
            service.register_witness(
                session,
                principal=admin,
                name="bad name",
                department_id=world.city_a_market.id,
                public_key=key,
            )
        service.register_witness(
            session, principal=admin, name="w", department_id=world.city_a_market.id, public_key=key
        )
        with pytest.raises(InvalidInput, match="exists"):
            service.register_witness(
                session,
                principal=admin,
                name="w",
                department_id=world.city_a_market.id,
                public_key=key,
            )
