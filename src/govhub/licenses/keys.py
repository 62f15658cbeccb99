"""Issuer keys: one Ed25519 key per issuing department, created on first use.

The private key is kept as a JWK encrypted with the platform's field encryption (AES-GCM with a
key derived from the master secret, bound to the key id); the public half is published in the
licenses JWKS and in the department's did:web document.
"""

from __future__ import annotations

import json
import secrets
import uuid
from functools import lru_cache
from typing import Any

from joserfc.jwk import OKPKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.cache import WatchedCache
from govhub.core.crypto import decrypt_field, encrypt_field
from govhub.core.settings import get_settings
from govhub.licenses.credentials import ALGORITHM, did_for
from govhub.licenses.models import IssuerKey

_CONTEXT = "license_issuer_keys.private_jwk"
KEYS_SECONDS = 30.0
_public: WatchedCache[str, dict[str, tuple[OKPKey, uuid.UUID]]] = WatchedCache(IssuerKey)


def issuer_did(department_id: uuid.UUID) -> str:
    """Return the did:web identifier of an issuing department."""
    return _did(get_settings().base_url, department_id)


@lru_cache(maxsize=4096)
def _did(base_url: str, department_id: uuid.UUID) -> str:
    return did_for(base_url, f"api/v1/licenses/issuers/{department_id}")


def _create(session: Session, department_id: uuid.UUID) -> IssuerKey:
    kid = f"k-{secrets.token_hex(8)}"
    key = OKPKey.generate_key("Ed25519", parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
    row = IssuerKey(
        kid=kid,
        department_id=department_id,
        private_jwk_encrypted=encrypt_field(
            json.dumps(key.as_dict(private=True)), context=f"{_CONTEXT}:{kid}"
        ),
        public_jwk=dict(key.as_dict(private=False)),
    )
    session.add(row)
    session.flush()
    return row


@lru_cache(maxsize=256)
def _private(kid: str, encrypted: str) -> OKPKey:
    return OKPKey.import_key(json.loads(decrypt_field(encrypted, context=f"{_CONTEXT}:{kid}")))


def signing_key(session: Session, department_id: uuid.UUID) -> tuple[str, OKPKey]:
    """Return the active key of a department (creating it on first use) and its id."""
    row = session.scalars(
        select(IssuerKey)
        .where(IssuerKey.department_id == department_id, IssuerKey.retired_at.is_(None))
        .order_by(IssuerKey.created_at.desc())
        .limit(1)
    ).first()
    if row is None:
        row = _create(session, department_id)
    return row.kid, _private(row.kid, row.private_jwk_encrypted)


def _load(session: Session) -> dict[str, tuple[OKPKey, uuid.UUID]]:
    rows = session.scalars(select(IssuerKey).where(IssuerKey.retired_at.is_(None)))
    return {row.kid: (OKPKey.import_key(row.public_jwk), row.department_id) for row in rows}


def public_key(session: Session, kid: str) -> tuple[OKPKey, uuid.UUID] | None:
    """Return the public key named `kid` and its department, or None when unknown."""
    keys = _public.get("all", ttl=KEYS_SECONDS)
    if keys is None or kid not in keys:  # perhaps a key another process has just made
        since = _public.generation
        keys = _load(session)
        _public.put("all", keys, since=since, ttl=KEYS_SECONDS)
    return keys.get(kid)


def jwks(session: Session) -> dict[str, Any]:
    """Return the JSON Web Key Set of every issuing department's active keys."""
    rows = session.scalars(
        select(IssuerKey).where(IssuerKey.retired_at.is_(None)).order_by(IssuerKey.created_at)
    )
    return {"keys": [row.public_jwk for row in rows]}


def did_document(session: Session, department_id: uuid.UUID) -> dict[str, Any]:
    """Return the did:web document of a department: its keys as verification methods."""
    did = issuer_did(department_id)
    rows = session.scalars(
        select(IssuerKey)
        .where(IssuerKey.department_id == department_id, IssuerKey.retired_at.is_(None))
        .order_by(IssuerKey.created_at)
    )
    methods = [
        {
            "id": f"{did}#{row.kid}",
            "type": "JsonWebKey",
            "controller": did,
            "publicKeyJwk": row.public_jwk,
        }
        for row in rows
    ]
    ids = [m["id"] for m in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


def public_keys_of(session: Session, department_id: uuid.UUID) -> list[dict[str, Any]]:
    """Return the public JWKs of a department's active keys."""
    rows = session.scalars(
        select(IssuerKey.public_jwk).where(
            IssuerKey.department_id == department_id, IssuerKey.retired_at.is_(None)
        )
    )
    return list(rows)
