"""E-license services: issuing, wallets, verification, reuse as materials and revocation."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from joserfc.jwk import OKPKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.ledger.models import LedgerPending
from govhub.ledger.schemas import EntryKind
from govhub.licenses import credentials, keys, service, statuslist
from govhub.licenses.errors import (
    LicenseExpired,
    LicenseInvalid,
    LicenseMismatch,
    LicenseRevoked,
)
from govhub.licenses.models import HolderKind, IssuerKey
from govhub.licenses.schemas import LicenseStatus
from tests.licenses import relying_party
from tests.licenses.conftest import Licensing
from tests.licenses.helpers import BUSINESS, PLATFORM, RESIDENT


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _json(part: str) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _parts(token: str) -> tuple[dict[str, object], dict[str, object], str]:
    head, body, signature = token.split(".")
    return _json(head), _json(body), signature


def _ledger_kinds(session: Session, subject: str) -> list[str]:
    return list(
        session.scalars(
            select(LedgerPending.kind)
            .where(LedgerPending.subject == subject)
            .order_by(LedgerPending.seq)
        )
    )


class TestIssue:
    def test_a_relying_party_verifies_the_credential_with_the_jwks_alone(
        self, session: Session, lic: Licensing
    ) -> None:
        claims = relying_party.verify(lic.license.token, keys.jwks(session))
        assert claims["@context"] == ["https://www.w3.org/ns/credentials/v2"]
        assert claims["type"] == ["VerifiableCredential", "GovHubLicense"]
        assert claims["id"] == f"urn:uuid:{lic.license.id}"
        assert (
            claims["iss"] == claims["issuer"]["id"] == keys.issuer_did(lic.world.city_a_market.id)
        )
        assert claims["iss"].startswith("did:web:")
        subject = claims["credentialSubject"]
        assert subject["id"] == claims["sub"] == f"urn:uuid:{lic.enterprise.id}"
        assert subject["uscc"] == lic.enterprise.uscc
        assert subject["scope"] == "餐饮服务"
        assert subject["registeredCapital"] == 500000
        status = claims["credentialStatus"]
        assert status["type"] == "BitstringStatusListEntry"
        assert status["statusPurpose"] == "revocation"
        assert int(status["statusListIndex"]) == lic.license.status_index
        assert claims["exp"] - claims["iat"] == 3650 * 86400

    def test_the_header_is_a_vc_jwt_signed_with_ed25519(self, lic: Licensing) -> None:
        header, _, _ = _parts(lic.license.token)
        assert header == {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": lic.license.kid}

    def test_the_private_key_is_stored_encrypted(self, session: Session, lic: Licensing) -> None:
        row = session.get(IssuerKey, lic.license.kid)
        assert row is not None
        assert '"d"' not in row.private_jwk_encrypted
        assert "d" not in row.public_jwk
        assert row.public_jwk["crv"] == "Ed25519"

    def test_issuance_is_ledgered(self, session: Session, lic: Licensing) -> None:
        assert _ledger_kinds(session, f"license:{lic.license.id}") == [EntryKind.LICENSE_ISSUED]

    def test_each_license_gets_its_own_status_index(self, session: Session, lic: Licensing) -> None:
        admin = lic.world.principal(lic.world.city_a_admin)
        indexes = {lic.license.status_index}
        for _ in range(5):
            row = service.issue(
                session,
                license_type=BUSINESS,
                holder=lic.enterprise_holder,
                claims={},
                issuer_department_id=lic.world.city_a_market.id,
                principal=admin,
            )
            indexes.add(row.status_index)
        assert len(indexes) == 6
        assert all(0 <= i < credentials.STATUS_LIST_BITS for i in indexes)

    def test_the_platform_issues_without_a_principal(
        self, session: Session, lic: Licensing
    ) -> None:
        application = uuid.uuid4()
        row = service.issue(
            session,
            license_type=RESIDENT,
            holder=lic.citizen_holder,
            claims={"address": "上城区清波街道"},
            issuer_department_id=lic.world.city_a_market.id,
            application_id=application,
        )
        assert row.application_id == application
        assert row.issued_by is None

    def test_another_department_cannot_issue_in_its_name(
        self, session: Session, lic: Licensing
    ) -> None:
        with pytest.raises(NotFound):
            service.issue(
                session,
                license_type=BUSINESS,
                holder=lic.enterprise_holder,
                claims={},
                issuer_department_id=lic.world.city_a_market.id,
                principal=lic.world.principal(lic.world.city_b_admin),
            )

    @pytest.mark.parametrize(
        ("license_type", "holder", "claims", "field"),
        [
            (PLATFORM, "enterprise", {}, "license_type"),  # a big-data bureau's license
            ("NO_SUCH", "enterprise", {}, "license_type"),
            (BUSINESS, "citizen", {}, "holder_kind"),
            (BUSINESS, "enterprise", {"id": "x"}, "claims"),
            (BUSINESS, "enterprise", {"uscc": "91330100MA0000000X"}, "claims"),
            (BUSINESS, "enterprise", {"nested": {"a": 1}}, "claims"),
            (BUSINESS, "enterprise", {"long": "x" * 501}, "claims"),
            (BUSINESS, "stranger", {}, "holder_id"),
        ],
    )
    def test_bad_requests_are_refused_and_change_nothing(
        self,
        session: Session,
        lic: Licensing,
        license_type: str,
        holder: str,
        claims: dict[str, object],
        field: str,
    ) -> None:
        ref = {
            "enterprise": lic.enterprise_holder,
            "citizen": lic.citizen_holder,
            "stranger": service.HolderRef(HolderKind.ENTERPRISE, lic.citizen.id),
        }[holder]
        before = len(
            service.list_issued(session, principal=lic.world.principal(lic.world.city_a_admin))[0]
        )
        with pytest.raises(InvalidInput) as caught:
            service.issue(
                session,
                license_type=license_type,
                holder=ref,
                claims=claims,
                issuer_department_id=lic.world.city_a_market.id,
                principal=lic.world.principal(lic.world.city_a_admin),
            )
        assert caught.value.extra["errors"][0]["field"] == field
        after = service.list_issued(session, principal=lic.world.principal(lic.world.city_a_admin))
        assert len(after[0]) == before


class TestWallet:
    def test_the_wallet_lists_only_the_holders_licenses(
        self, session: Session, lic: Licensing
    ) -> None:
        service.issue(
            session,
            license_type=RESIDENT,
            holder=lic.citizen_holder,
            claims={},
            issuer_department_id=lic.world.city_a_market.id,
        )
        assert [r.id for r in service.wallet(session, lic.enterprise_holder)] == [lic.license.id]
        mine = service.wallet(session, lic.citizen_holder)
        assert [r.type_code for r in mine] == [RESIDENT]
        read = service.to_read(session, mine[0])
        assert read.status is LicenseStatus.ACTIVE
        assert read.type_name == "居住证明"

    def test_a_holder_cannot_open_anothers_license(self, session: Session, lic: Licensing) -> None:
        with pytest.raises(NotFound):
            service.get_own(session, holder=lic.citizen_holder, license_id=lic.license.id)


class TestVerify:
    def test_a_genuine_license_verifies(self, session: Session, lic: Licensing) -> None:
        result = service.verify(session, lic.license.token)
        assert result.valid
        assert result.license_id == lic.license.id
        assert result.license_type == BUSINESS
        assert result.holder_id == lic.enterprise.id
        assert result.holder_name == lic.enterprise.display_name
        assert result.issuer_department_id == lic.world.city_a_market.id
        assert result.claims == {"scope": "餐饮服务", "registeredCapital": 500000}

    def test_offline_verification_needs_only_the_public_key(
        self, session: Session, lic: Licensing
    ) -> None:
        published = {k["kid"]: OKPKey.import_key(k) for k in keys.jwks(session)["keys"]}
        claims = credentials.check_token(lic.license.token, published.get)
        assert claims["credentialSubject"]["scope"] == "餐饮服务"

    def test_a_forged_signature_is_refused(self, session: Session, lic: Licensing) -> None:
        header, payload, _ = _parts(lic.license.token)
        forger = OKPKey.generate_key("Ed25519")
        forged = credentials.sign(payload, key=forger, kid=str(header["kid"]))
        with pytest.raises(LicenseInvalid, match="signature"):
            service.verify(session, forged)
        with pytest.raises(jwt.InvalidSignatureError):
            relying_party.verify(forged, keys.jwks(session))

    def test_tampered_claims_are_refused(self, session: Session, lic: Licensing) -> None:
        header, payload, signature = _parts(lic.license.token)
        subject = dict(payload["credentialSubject"])  # type: ignore[call-overload]
        subject["scope"] = "烟草零售"
        tampered = f"{_b64(header)}.{_b64(payload | {'credentialSubject': subject})}.{signature}"
        with pytest.raises(LicenseInvalid, match="signature"):
            service.verify(session, tampered)

    def test_alg_none_is_refused(self, session: Session, lic: Licensing) -> None:
        header, payload, _ = _parts(lic.license.token)
        unsigned = f"{_b64(header | {'alg': 'none'})}.{_b64(payload)}."
        with pytest.raises(LicenseInvalid, match="EdDSA"):
            service.verify(session, unsigned)

    def test_an_hmac_signed_token_is_refused(self, session: Session, lic: Licensing) -> None:
        header, payload, _ = _parts(lic.license.token)
        secret = str(keys.jwks(session)["keys"][0]["x"]).encode()  # the public key as a secret
        hs = jwt.encode(
            payload, secret, algorithm="HS256", headers={"typ": "vc+jwt", "kid": header["kid"]}
        )
        with pytest.raises(LicenseInvalid):
            service.verify(session, hs)

    def test_an_unknown_key_is_refused(self, session: Session, lic: Licensing) -> None:
        _, payload, _ = _parts(lic.license.token)
        other = credentials.sign(payload, key=OKPKey.generate_key("Ed25519"), kid="k-unknown")
        with pytest.raises(LicenseInvalid, match="unknown key"):
            service.verify(session, other)

    def test_another_issuers_key_cannot_sign_for_a_department(
        self, session: Session, lic: Licensing
    ) -> None:
        _, payload, _ = _parts(lic.license.token)
        kid, key = keys.signing_key(session, lic.world.city_b_market.id)
        with pytest.raises(LicenseInvalid, match="issuer"):
            service.verify(session, credentials.sign(payload, key=key, kid=kid))

    @pytest.mark.parametrize(
        "garbage",
        ["", "abc", "a.b.c", "x" * 9000, "eyJhbGciOiJFZERTQSJ9.e30.", "..", "e30.e30.e30"],
    )
    def test_garbage_is_refused(self, session: Session, lic: Licensing, garbage: str) -> None:
        with pytest.raises(LicenseInvalid):
            service.verify(session, garbage)

    def test_an_expired_license_is_refused(self, session: Session, lic: Licensing) -> None:
        later = datetime.now(UTC) + timedelta(days=3651)
        with pytest.raises(LicenseExpired):
            service.verify(session, lic.license.token, now=later)

    def test_a_license_issued_in_the_past_and_expired_is_refused(
        self, session: Session, lic: Licensing
    ) -> None:
        row = service.issue(
            session,
            license_type=RESIDENT,
            holder=lic.citizen_holder,
            claims={},
            issuer_department_id=lic.world.city_a_market.id,
            now=datetime.now(UTC) - timedelta(days=400),
        )
        with pytest.raises(LicenseExpired):
            service.verify(session, row.token)
        with pytest.raises(jwt.ExpiredSignatureError):
            relying_party.verify(row.token, keys.jwks(session))
        assert service.to_read(session, row).status is LicenseStatus.EXPIRED


class TestRequireValid:
    def test_the_holders_own_license_is_accepted_as_a_material(
        self, session: Session, lic: Licensing
    ) -> None:
        result = service.require_valid(
            session, lic.license.token, holder=lic.enterprise_holder, license_type=BUSINESS
        )
        assert result.license_id == lic.license.id

    def test_someone_elses_license_is_refused(self, session: Session, lic: Licensing) -> None:
        with pytest.raises(LicenseMismatch, match="another holder"):
            service.require_valid(session, lic.license.token, holder=lic.citizen_holder)

    def test_a_license_of_another_type_is_refused(self, session: Session, lic: Licensing) -> None:
        with pytest.raises(LicenseMismatch, match=RESIDENT):
            service.require_valid(
                session, lic.license.token, holder=lic.enterprise_holder, license_type=RESIDENT
            )


class TestRevoke:
    def test_revocation_sets_the_status_bit_and_verification_refuses(
        self, session: Session, lic: Licensing
    ) -> None:
        admin = lic.world.principal(lic.world.city_a_admin)
        service.revoke(session, principal=admin, license_id=lic.license.id, reason="吊销：违法经营")
        with pytest.raises(LicenseRevoked):
            service.verify(session, lic.license.token)
        assert _ledger_kinds(session, f"license:{lic.license.id}") == [
            EntryKind.LICENSE_ISSUED,
            EntryKind.LICENSE_REVOKED,
        ]
        status_token = statuslist.status_list_credential(session, lic.world.city_a_market.id)
        status_vc = relying_party.verify(status_token, keys.jwks(session))
        assert status_vc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        subject = status_vc["credentialSubject"]
        assert subject["type"] == "BitstringStatusList"
        assert subject["statusPurpose"] == "revocation"
        bits = credentials.decode_status_list(subject["encodedList"])
        assert len(bits) * 8 >= 131_072
        assert credentials.bit_is_set(bits, lic.license.status_index)
        assert sum(bin(b).count("1") for b in bits) == 1

    def test_only_the_issuing_department_revokes(self, session: Session, lic: Licensing) -> None:
        for official in (lic.world.city_b_admin, lic.world.county_a_official):
            with pytest.raises(NotFound):
                service.revoke(
                    session,
                    principal=lic.world.principal(official),
                    license_id=lic.license.id,
                    reason="不是我们发的",
                )
        assert service.verify(session, lic.license.token).valid

    def test_revoking_twice_conflicts(self, session: Session, lic: Licensing) -> None:
        admin = lic.world.principal(lic.world.city_a_admin)
        service.revoke(session, principal=admin, license_id=lic.license.id, reason="注销")
        with pytest.raises(Conflict):
            service.revoke(session, principal=admin, license_id=lic.license.id, reason="注销")

    def test_a_department_without_licenses_has_no_status_list(
        self, session: Session, lic: Licensing
    ) -> None:
        with pytest.raises(NotFound):
            statuslist.status_list_credential(session, lic.world.city_a_tax.id)


class TestStatusListEncoding:
    def test_bits_round_trip_left_most_first(self) -> None:
        encoded = credentials.encode_status_list([0, 9, 131_071])
        assert encoded.startswith("u")
        bits = credentials.decode_status_list(encoded)
        assert len(bits) == 16_384
        assert bits[0] == 0x80
        assert bits[1] == 0x40
        assert credentials.bit_is_set(bits, 131_071)
        assert not credentials.bit_is_set(bits, 1)

    @pytest.mark.parametrize("encoded", ["zabc", "u!!!", "uAAAA"])
    def test_bad_lists_are_refused(self, encoded: str) -> None:
        with pytest.raises(LicenseInvalid):
            credentials.decode_status_list(encoded)

    def test_a_list_shorter_than_the_minimum_is_refused(self) -> None:
        short = credentials.encode_status_list([3], size=1024)
        with pytest.raises(LicenseInvalid, match="131,072"):
            credentials.decode_status_list(short)

    def test_did_web_encodes_the_port(self) -> None:
        assert (
            credentials.did_for("http://127.0.0.1:8000", "api/v1/licenses/issuers/x")
            == "did:web:127.0.0.1%3A8000:api:v1:licenses:issuers:x"
        )
