"""Signed notes, checkpoints and cosignatures in the C2SP formats."""

from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from govhub.ledger.checkpoint import (
    Checkpoint,
    Note,
    NoteError,
    NoteSigner,
    NoteVerifier,
    Signature,
    cosignature_message,
    open_checkpoint,
)

# The example of the signed-note format published with Go's golang.org/x/mod/sumdb/note.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_NOTE = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq"
    "dngotpRZb6KE6RyyBwJnAM=\n"
)


def _signer(name: str = "example.gov/ledger") -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.generate())


class TestSignedNote:
    def test_the_published_example_verifies(self) -> None:
        verifier = NoteVerifier.from_vkey(GO_VKEY)
        note = Note.parse(GO_NOTE)
        assert verifier.verifies(note.body, note.signatures[0])
        assert note.text() == GO_NOTE
        assert not verifier.verifies(note.body.replace("answer", "question"), note.signatures[0])

    @settings(max_examples=50)
    @given(st.binary(min_size=32, max_size=32))
    def test_verifier_keys_round_trip(self, seed: bytes) -> None:
        signer = NoteSigner("example.gov/ledger", Ed25519PrivateKey.from_private_bytes(seed))
        assert NoteVerifier.from_vkey(signer.verifier.vkey).key_id == signer.verifier.key_id

    @pytest.mark.parametrize(
        "vkey",
        [
            "name+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3",
            "PeterNeumann+c74f20a3+AhpcZQ==",
            "PeterNeumann+c74f20a3+!!!",
        ],
    )
    def test_bad_verifier_keys(self, vkey: str) -> None:
        with pytest.raises(NoteError):
            NoteVerifier.from_vkey(vkey)

    @pytest.mark.parametrize(
        "text",
        ["no signatures\n", "body\n\nnot a signature\n", "body\n\n\u2014 name AAAA\n",
         "body\n\n\u2014 name AAAAAAAA"],
    )  # fmt: skip
    def test_malformed_notes(self, text: str) -> None:
        with pytest.raises(NoteError):
            Note.parse(text)


class TestCheckpoint:
    def test_body_round_trip(self) -> None:
        checkpoint = Checkpoint("example.gov/ledger", 42, bytes(range(32)))
        assert checkpoint.body().split("\n")[:2] == ["example.gov/ledger", "42"]
        assert Checkpoint.parse(checkpoint.body()) == checkpoint

    @pytest.mark.parametrize(
        "body",
        ["o\n01\nAAAA\n", "o\n-1\n" + "A" * 44 + "\n", "o\n1\nAAAA\n", "o\n1\n", "\n1\nA\n"],
    )
    def test_malformed_bodies(self, body: str) -> None:
        with pytest.raises(NoteError):
            Checkpoint.parse(body)

    def test_open_checks_signature_origin_and_cosignatures(self) -> None:
        log, witness = _signer(), _signer("tax.witness")
        body = Checkpoint(log.name, 3, b"\x01" * 32).body()
        note = Note(body, (log.sign(body),))
        with pytest.raises(NoteError, match="0 valid cosignatures, 1 required"):
            open_checkpoint(note.text(), log.verifier, witnesses=(witness.verifier,),
                            min_cosignatures=1)  # fmt: skip
        cosigned = note.with_signature(witness.cosign(body, 1_700_000_000))
        _, _, names = open_checkpoint(
            cosigned.text(), log.verifier, witnesses=(witness.verifier,), min_cosignatures=1
        )
        assert names == ["tax.witness"]
        other = _signer("other.gov/ledger")
        with pytest.raises(NoteError, match="origin"):
            open_checkpoint(Note(body, (other.sign(body),)).text(), other.verifier)

    def test_cosignature_v1_layout(self) -> None:
        witness = _signer("w")
        body = Checkpoint("o", 1, b"\x00" * 32).body()
        signature = witness.cosign(body, 1_700_000_123)
        assert signature.key_id == witness.verifier.cosignature_key_id != witness.verifier.key_id
        (timestamp,) = struct.unpack(">Q", signature.signature[:8])
        assert timestamp == 1_700_000_123
        witness.private_key.public_key().verify(
            signature.signature[8:], cosignature_message(body, 1_700_000_123)
        )
        assert cosignature_message(body, 5).startswith(b"cosignature/v1\ntime 5\no\n1\n")
        tampered = Signature(signature.name, signature.key_id, b"\x00" * 72)
        assert witness.verifier.cosignature_time(body, tampered) is None
