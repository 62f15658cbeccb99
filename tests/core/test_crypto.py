"""Field encryption and blind indexes."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from govhub.core.crypto import blind_index, decrypt_field, derive_key, encrypt_field


class TestFieldEncryption:
    def test_round_trip_with_a_fresh_nonce_each_time(self) -> None:
        a = encrypt_field("330102199003071230", context="accounts.id_number")
        b = encrypt_field("330102199003071230", context="accounts.id_number")
        assert a != b
        assert "330102199003071230" not in a
        assert decrypt_field(a, context="accounts.id_number") == "330102199003071230"

    def test_context_binds_the_ciphertext_to_its_column(self) -> None:
        sealed = encrypt_field("secret", context="table.a")
        with pytest.raises(InvalidTag):
            decrypt_field(sealed, context="table.b")

    def test_tampering_is_detected(self) -> None:
        sealed = encrypt_field("secret", context="c")
        key_id, _, data = sealed.partition(":")
        flipped = data[:-2] + ("A" if data[-2] != "A" else "B") + data[-1]
        with pytest.raises(InvalidTag):
            decrypt_field(f"{key_id}:{flipped}", context="c")


class TestKeys:
    def test_blind_index_is_stable_and_purpose_bound(self) -> None:
        assert blind_index("x", purpose="p") == blind_index("x", purpose="p")
        assert blind_index("x", purpose="p") != blind_index("x", purpose="q")
        assert len(blind_index("x", purpose="p")) == 64

    def test_derived_keys_differ_by_purpose_and_secret(self) -> None:
        assert derive_key("a") != derive_key("b")
        assert derive_key("a", secret=b"one") != derive_key("a", secret=b"two")
        assert len(derive_key("a", length=16)) == 16
