"""Signing keys: rotation, retirement, the published key set, and encryption at rest."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.crypto import decrypt_field
from govhub.core.errors import Unauthenticated
from govhub.core.settings import get_settings
from govhub.identity import tokens
from govhub.identity.models import SigningKey

AUDIENCE = "test-audience"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def _issue(session: Session) -> str:
    return tokens.issue_jwt(session, {"sub": "someone", "aud": AUDIENCE}, ttl_seconds=300)


def _header(token: str) -> str:
    segment = token.split(".", maxsplit=1)[0]
    header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return str(header["kid"])


def _rows(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.id)))


class TestRotation:
    def test_token_signed_before_rotation_still_verifies(self, session: Session) -> None:
        before = _issue(session)
        old_kid = _header(before)

        new_kid = tokens.rotate_keys(session)

        assert new_kid != old_kid
        assert tokens.verify_jwt(session, before, audience=AUDIENCE)["sub"] == "someone"
        after = _issue(session)
        assert _header(after) == new_kid
        assert tokens.verify_jwt(session, after, audience=AUDIENCE)["sub"] == "someone"

    def test_retired_key_no_longer_verifies(self, session: Session) -> None:
        before = _issue(session)
        tokens.rotate_keys(session)  # the first key is superseded ...
        tokens.rotate_keys(session, retire_after=timedelta(0))  # ... and now retired

        with pytest.raises(Unauthenticated):
            tokens.verify_jwt(session, before, audience=AUDIENCE)
        retired = [row for row in _rows(session) if row.retired_at is not None]
        assert [row.kid for row in retired] == [_header(before)]

    def test_superseded_key_stays_within_its_grace_period(self, session: Session) -> None:
        before = _issue(session)
        tokens.rotate_keys(session)
        tokens.rotate_keys(session, retire_after=timedelta(hours=1))
        assert tokens.verify_jwt(session, before, audience=AUDIENCE)["sub"] == "someone"

    def test_only_the_newest_key_signs(self, session: Session) -> None:
        _issue(session)
        tokens.rotate_keys(session)
        newest = tokens.rotate_keys(session)
        assert {_header(_issue(session)) for _ in range(3)} == {newest}
        signing = [row for row in _rows(session) if row.superseded_at is None]
        assert [row.kid for row in signing] == [newest]


class TestPublishedKeySet:
    def test_jwks_lists_exactly_the_published_keys(self, session: Session) -> None:
        _issue(session)
        tokens.rotate_keys(session)
        tokens.rotate_keys(session, retire_after=timedelta(0))
        published = {row.kid for row in _rows(session) if row.retired_at is None}
        assert len(published) == 2
        assert {key["kid"] for key in tokens.jwks(session)["keys"]} == published

    def test_well_known_jwks_matches_the_service(
        self, client: TestClient, session: Session
    ) -> None:
        tokens.rotate_keys(session)
        served = client.get("/.well-known/jwks.json").json()
        assert served == tokens.jwks(session)
        assert client.get("/api/v1/auth/jwks").json() == served

    def test_private_keys_are_encrypted_and_never_published(self, session: Session) -> None:
        _issue(session)
        tokens.rotate_keys(session)
        for row in _rows(session):
            private = json.loads(decrypt_field(row.private_jwk_encrypted, context=row.kid))
            assert set(private) >= PRIVATE_MEMBERS
            for member in PRIVATE_MEMBERS:
                assert private[member] not in row.private_jwk_encrypted
            assert not PRIVATE_MEMBERS & set(row.public_jwk)
        for key in tokens.jwks(session)["keys"]:
            assert not PRIVATE_MEMBERS & set(key)

    def test_ciphertext_is_bound_to_its_key_id(self, session: Session) -> None:
        _issue(session)
        tokens.rotate_keys(session)
        first, second = _rows(session)[:2]
        with pytest.raises(InvalidTag):
            decrypt_field(first.private_jwk_encrypted, context=second.kid)


class TestVerification:
    def test_token_from_a_foreign_key_is_refused(self, session: Session) -> None:
        tokens.jwks(session)
        kid = _rows(session)[0].kid
        foreign = RSAKey.generate_key(2048, parameters={"kid": kid})
        claims = {
            "iss": get_settings().base_url,
            "aud": AUDIENCE,
            "sub": "someone",
            "exp": 4_000_000_000,
        }
        forged = jwt.encode({"alg": "RS256", "kid": kid}, claims, foreign)
        with pytest.raises(Unauthenticated):
            tokens.verify_jwt(session, forged, audience=AUDIENCE)

    def test_wrong_audience_is_refused(self, session: Session) -> None:
        with pytest.raises(Unauthenticated, match="aud"):
            tokens.verify_jwt(session, _issue(session), audience="govhub-api")

    def test_wrong_issuer_is_refused(self, session: Session) -> None:
        token = tokens.issue_jwt(
            session, {"sub": "x", "aud": AUDIENCE, "iss": "https://elsewhere"}, ttl_seconds=60
        )
        with pytest.raises(Unauthenticated, match="iss"):
            tokens.verify_jwt(session, token, audience=AUDIENCE)

    def test_unsigned_token_is_refused(self, session: Session) -> None:
        kid = _header(_issue(session))
        header = _b64({"alg": "none", "kid": kid})
        claims = _b64({"iss": get_settings().base_url, "aud": AUDIENCE, "sub": "x", "exp": 4e9})
        with pytest.raises(Unauthenticated):
            tokens.verify_jwt(session, f"{header}.{claims}.", audience=AUDIENCE)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
