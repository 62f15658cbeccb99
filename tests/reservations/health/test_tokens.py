"""Health-code tokens: issue, verify offline, and refuse every bad one clearly."""

from __future__ import annotations

import base64
import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govhub.reservations.health import tokens
from govhub.reservations.health.errors import HealthCodeExpired, HealthCodeInvalid
from govhub.reservations.health.models import HealthColor

SUBJECT = tokens.subject_of(uuid.UUID(int=7))


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _last_char(token: str, *, flip: int) -> str:
    """Return `token` with bits `flip` of its last base64url character's value flipped."""
    return token[:-1] + _ALPHABET[_ALPHABET.index(token[-1]) ^ flip]


def _verifier() -> tokens.OfflineVerifier:
    return tokens.OfflineVerifier.from_jwks(tokens.jwks())


class TestRoundTrip:
    @pytest.mark.parametrize("color", list(HealthColor))
    def test_a_fresh_code_verifies_with_the_published_key_set(self, color: HealthColor) -> None:
        now = int(time.time())
        token = tokens.issue(SUBJECT, color, now=now)
        claim = _verifier().verify(token, now=now + 10)
        assert (claim.subject, claim.color) == (SUBJECT, color)
        assert claim.expires_at - claim.issued_at == tokens.LIFETIME_SECONDS
        assert claim.key_id == tokens.jwks()["keys"][0]["kid"]

    def test_the_format_is_compact_and_holds_no_identifier(self) -> None:
        token = tokens.issue(SUBJECT, HealthColor.GREEN)
        prefix, payload, signature = token.split(".")
        assert prefix == "GHHC1"
        assert len(token) < 160
        assert len(base64.urlsafe_b64decode(signature + "==")) == 64
        assert bytes.fromhex(SUBJECT) in base64.urlsafe_b64decode(payload)

    def test_subjects_are_stable_and_distinct(self) -> None:
        assert tokens.subject_of(uuid.UUID(int=7)) == SUBJECT
        assert tokens.subject_of(uuid.UUID(int=8)) != SUBJECT


class TestRefusals:
    def test_an_expired_code(self) -> None:
        token = tokens.issue(SUBJECT, HealthColor.GREEN, now=1_000_000)
        with pytest.raises(HealthCodeExpired):
            _verifier().verify(token, now=1_000_000 + tokens.LIFETIME_SECONDS)

    def test_a_code_issued_in_the_future(self) -> None:
        now = int(time.time())
        token = tokens.issue(SUBJECT, HealthColor.GREEN, now=now + 3600)
        with pytest.raises(HealthCodeInvalid, match="future"):
            _verifier().verify(token, now=now)

    def test_a_forged_code_signed_by_another_key(self) -> None:
        forged = tokens.issue(SUBJECT, HealthColor.GREEN, key=Ed25519PrivateKey.generate())
        with pytest.raises(HealthCodeInvalid, match="unknown key"):
            _verifier().verify(forged)

    def test_a_forgery_claiming_the_platform_key_id(self) -> None:
        genuine = tokens.issue(SUBJECT, HealthColor.RED)
        other = tokens.issue(SUBJECT, HealthColor.RED, key=Ed25519PrivateKey.generate())
        forged = genuine.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1]
        with pytest.raises(HealthCodeInvalid, match="signature"):
            _verifier().verify(forged)

    def test_a_red_code_repainted_green(self) -> None:
        token = tokens.issue(SUBJECT, HealthColor.RED)
        _, payload, signature = token.split(".")
        raw = bytearray(base64.urlsafe_b64decode(payload))
        raw[1] = 0  # the color byte
        tampered = f"GHHC1.{base64.urlsafe_b64encode(bytes(raw)).decode()}.{signature}"
        with pytest.raises(HealthCodeInvalid, match="signature"):
            _verifier().verify(tampered)

    @pytest.mark.parametrize(
        "garbage",
        ["", "hello", "GHHC1.", "GHR1.abc", "GHHC1." + "A" * 56 + "." + "A" * 86,
         "GHHC1." + "!" * 56 + "." + "A" * 86, "GHHC1." + "A" * 143, "GHHC2." + "A" * 143],
    )  # fmt: skip
    def test_garbage(self, garbage: str) -> None:
        with pytest.raises(HealthCodeInvalid):
            _verifier().verify(garbage)

    def test_a_second_spelling_of_a_genuine_code(self) -> None:
        token = tokens.issue(SUBJECT, HealthColor.GREEN)
        with pytest.raises(HealthCodeInvalid, match="not a GovHub"):
            _verifier().verify(_last_char(token, flip=1))  # padding bits only
        with pytest.raises(HealthCodeInvalid, match="not a GovHub"):
            _verifier().verify(token.replace("-", "+").replace("_", "/") + "=")

    def test_a_signed_code_of_an_unknown_version(self) -> None:
        token = tokens.issue(SUBJECT, HealthColor.GREEN)
        raw = bytearray(base64.urlsafe_b64decode(token.split(".")[1]))
        raw[0] = 2
        head = "GHHC1." + base64.urlsafe_b64encode(bytes(raw)).decode()
        signature = base64.urlsafe_b64encode(tokens.signing_key().sign(head.encode()))
        with pytest.raises(HealthCodeInvalid, match="version"):
            _verifier().verify(head + "." + signature.decode().rstrip("="))

    def test_a_key_set_without_ed25519_keys_verifies_nothing(self) -> None:
        verifier = tokens.OfflineVerifier.from_jwks({"keys": [{"kty": "RSA"}]})
        with pytest.raises(HealthCodeInvalid, match="unknown key"):
            verifier.verify(tokens.issue(SUBJECT, HealthColor.GREEN))


class TestMemo:
    def test_a_remembered_code_still_expires(self) -> None:
        verifier = _verifier()
        token = tokens.issue(SUBJECT, HealthColor.GREEN, now=1_000_000)
        assert verifier.verify(token, now=1_000_001).color is HealthColor.GREEN
        assert verifier.verify(token, now=1_000_002).color is HealthColor.GREEN
        with pytest.raises(HealthCodeExpired):
            verifier.verify(token, now=1_000_000 + tokens.LIFETIME_SECONDS)

    def test_only_the_exact_text_is_remembered(self) -> None:
        verifier = _verifier()
        token = tokens.issue(SUBJECT, HealthColor.RED)
        verifier.verify(token)
        with pytest.raises(HealthCodeInvalid, match="signature"):
            verifier.verify(_last_char(token, flip=16))  # a bit of the signature

    def test_the_memo_keeps_its_size(self) -> None:
        public = tokens.signing_key().public_key()
        verifier = tokens.OfflineVerifier([public], memo_size=2)
        codes = [tokens.issue(tokens.subject_of(uuid.UUID(int=i)), HealthColor.GREEN)
                 for i in range(5)]  # fmt: skip
        for code in codes + codes:
            verifier.verify(code)
        assert len(verifier._memo) == 2
