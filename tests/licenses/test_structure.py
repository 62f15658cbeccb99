"""Verification refuses well-signed tokens that are not well-formed licenses, and edge paths of
issuing (a missing department, colliding status indexes) behave."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from govhub.core.errors import NotFound
from govhub.identity.models import AccountKind
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.licenses import credentials, keys, service
from govhub.licenses.errors import LicenseExpired, LicenseInvalid
from tests.licenses.conftest import Licensing
from tests.licenses.helpers import BUSINESS


def _payload(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def _resigned(session: Session, lic: Licensing, payload: dict[str, Any]) -> str:
    kid, key = keys.signing_key(session, lic.world.city_a_market.id)
    return credentials.sign(payload, key=key, kid=kid)


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


class TestWellSignedButMalformed:
    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"@context": ["https://example.org/other"]}, "not a verifiable credential"),
            ({"type": ["Diploma"]}, "not a verifiable credential"),
            ({"issuer": "did:web:elsewhere"}, "not a verifiable credential"),
            ({"validFrom": 20260101}, "validity period is malformed"),
            ({"validUntil": "next year"}, "validity period is malformed"),
            ({"id": "license-1"}, "names no identifier"),
            ({"id": "urn:uuid:not-a-uuid"}, "names no identifier"),
            ({"credentialStatus": None}, "no status entry"),
            ({"type": ["VerifiableCredential"]}, "not signed by its issuer"),
        ],
    )
    def test_structure_is_checked(
        self, session: Session, lic: Licensing, change: dict[str, Any], message: str
    ) -> None:
        token = _resigned(session, lic, _payload(lic.license.token) | change)
        with pytest.raises(LicenseInvalid, match=message):
            service.verify(session, token)

    def test_a_malformed_status_index_is_refused(self, session: Session, lic: Licensing) -> None:
        payload = _payload(lic.license.token)
        payload["credentialStatus"] = payload["credentialStatus"] | {"statusListIndex": "x"}
        with pytest.raises(LicenseInvalid, match="status index"):
            service.verify(session, _resigned(session, lic, payload))

    def test_an_unknown_holder_kind_is_refused(self, session: Session, lic: Licensing) -> None:
        payload = _payload(lic.license.token)
        payload["credentialSubject"] = payload["credentialSubject"] | {"holderKind": "robot"}
        with pytest.raises(LicenseInvalid, match="names no holder"):
            service.verify(session, _resigned(session, lic, payload))

    def test_a_license_valid_only_from_tomorrow_is_not_valid_yet(
        self, session: Session, lic: Licensing
    ) -> None:
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        token = _resigned(session, lic, _payload(lic.license.token) | {"validFrom": tomorrow})
        with pytest.raises(LicenseExpired, match="not valid yet"):
            service.verify(session, token)

    @pytest.mark.parametrize(
        "header",
        [
            ["EdDSA"],
            {"alg": "EdDSA", "typ": "JWT", "kid": "k"},
            {"alg": "EdDSA", "typ": "vc+jwt"},
        ],
    )
    def test_bad_headers_are_refused(self, session: Session, header: object) -> None:
        with pytest.raises(LicenseInvalid):
            service.verify(session, f"{_b64(header)}.{_b64({})}.c2ln")

    def test_a_status_index_outside_the_list_is_refused(self) -> None:
        bits = credentials.decode_status_list(credentials.encode_status_list([]))
        with pytest.raises(LicenseInvalid, match="outside"):
            credentials.bit_is_set(bits, credentials.STATUS_LIST_BITS)


class TestIssuingEdges:
    def test_a_missing_department_is_not_found(self, session: Session, lic: Licensing) -> None:
        with pytest.raises(NotFound):
            service.issue(
                session,
                license_type=BUSINESS,
                holder=lic.enterprise_holder,
                claims={},
                issuer_department_id=uuid.uuid4(),
            )

    def test_a_colliding_random_index_falls_back_to_the_lowest_free_one(
        self, session: Session, lic: Licensing, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        taken = lic.license.status_index
        monkeypatch.setattr(secrets, "randbelow", lambda _: taken)
        row = service.issue(
            session,
            license_type=BUSINESS,
            holder=lic.enterprise_holder,
            claims={},
            issuer_department_id=lic.world.city_a_market.id,
        )
        assert row.status_index == (1 if taken == 0 else 0)

    def test_only_citizens_and_enterprises_are_holders(self, lic: Licensing) -> None:
        official = lic.world.principal(lic.world.city_a_admin)
        assert service.holder_of(official) is None
        client = Principal(
            username="tax-system", display_name="税务系统", roles=frozenset({Role.SYSTEM})
        )
        assert service.holder_of(client) is None
        enterprise = Principal(
            username="e",
            display_name="e",
            roles=frozenset({Role.ENTERPRISE}),
            account_id=lic.enterprise.id,
            kind=AccountKind.ENTERPRISE,
        )
        assert service.holder_of(enterprise) == lic.enterprise_holder
