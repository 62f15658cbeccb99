"""Signed JWTs (RS256 via joserfc) from a rotating key set kept in the database.

The newest key signs; superseded keys stay in the published JWKS until retired, so tokens
issued before a rotation keep verifying until they expire.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import timedelta
from functools import lru_cache
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.cache import WatchedCache
from govhub.core.crypto import decrypt_field, encrypt_field
from govhub.core.db import utcnow
from govhub.core.errors import Unauthenticated
from govhub.core.settings import get_settings
from govhub.identity import audit
from govhub.identity.models import AuditAction, SigningKey

ALGORITHM = "RS256"
_KEY_CONTEXT = "signing_keys.private_jwk"
_LEEWAY_SECONDS = 30


def _create_key(session: Session) -> SigningKey:
    kid = f"k{int(time.time())}-{secrets.token_hex(4)}"
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
    row = SigningKey(
        kid=kid,
        algorithm=ALGORITHM,
        private_jwk_encrypted=encrypt_field(json.dumps(key.as_dict(private=True)), context=kid),
        public_jwk=dict(key.as_dict(private=False)),
    )
    session.add(row)
    session.flush()
    return row


def _published(session: Session) -> list[SigningKey]:
    rows = session.scalars(
        select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc())
    )
    return list(rows)


def _active_key(session: Session) -> tuple[str, RSAKey]:
    rows = [row for row in _published(session) if row.superseded_at is None]
    row = rows[0] if rows else _create_key(session)
    return row.kid, _private_key(row.kid, row.private_jwk_encrypted)


@lru_cache(maxsize=8)
def _private_key(kid: str, encrypted: str) -> RSAKey:
    """Decrypt and import a private key once (RSA import validates the key, which is slow)."""
    return RSAKey.import_key(json.loads(decrypt_field(encrypted, context=kid)))


@lru_cache(maxsize=8)
def _public_key_set(published: str) -> KeySet:
    return KeySet.import_key_set(json.loads(published))


def rotate_keys(session: Session, *, retire_after: timedelta | None = None) -> str:
    """Start signing with a new key; supersede the current one and retire keys older than asked.

    Returns the new key id. Superseded keys keep verifying until `retire_after` has passed
    since they were superseded (default: twice the access-token lifetime).
    """
    now = utcnow()
    default = timedelta(seconds=2 * get_settings().access_token_ttl_seconds)
    grace = retire_after if retire_after is not None else default  # 0 retires at once
    for row in _published(session):
        if row.superseded_at is None:
            row.superseded_at = now
        elif row.superseded_at + grace <= now:
            row.retired_at = now
    kid = _create_key(session).kid
    audit.record(session, AuditAction.KEY_ROTATED, kid=kid)
    return kid


def jwks(session: Session) -> dict[str, Any]:
    """Return the public JSON Web Key Set (creating the first key if none exists)."""
    rows = _published(session) or [_create_key(session)]
    return {"keys": [row.public_jwk for row in rows]}


KEY_SET_SECONDS = 5.0
# The published key set, dropped when this process touches a signing key (rotation, retirement);
# a token that fails on a cached set is tried once more on fresh rows (another process's key).
_key_sets: WatchedCache[str, KeySet] = WatchedCache(SigningKey)


def _key_set(session: Session, *, fresh: bool = False) -> KeySet:
    cached = None if fresh else _key_sets.get("published", ttl=KEY_SET_SECONDS)
    if cached is not None:
        return cached
    since = _key_sets.generation
    key_set = _public_key_set(json.dumps(jwks(session), sort_keys=True))
    _key_sets.put("published", key_set, since=since, ttl=KEY_SET_SECONDS)
    return key_set


def issue_jwt(session: Session, claims: dict[str, Any], *, ttl_seconds: int) -> str:
    """Sign `claims` (adding iss, iat, exp, jti) with the active key."""
    now = int(time.time())
    full = {
        "iss": get_settings().base_url,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": secrets.token_urlsafe(12),
        **claims,
    }
    kid, key = _active_key(session)
    return jwt.encode({"alg": ALGORITHM, "kid": kid, "typ": "JWT"}, full, key)


def verify_jwt(session: Session, token: str, *, audience: str) -> dict[str, Any]:
    """Verify signature, issuer, audience and lifetime; raise `Unauthenticated` otherwise."""
    try:
        try:
            decoded = jwt.decode(token, _key_set(session), algorithms=[ALGORITHM])
        except (JoseError, ValueError):  # perhaps a key another process has just made
            decoded = jwt.decode(token, _key_set(session, fresh=True), algorithms=[ALGORITHM])
        registry = jwt.JWTClaimsRegistry(
            leeway=_LEEWAY_SECONDS,
            iss={"essential": True, "value": get_settings().base_url},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise Unauthenticated(f"invalid token: {_reason(exc)}") from exc
    return dict(decoded.claims)


def _reason(exc: Exception) -> str:
    if isinstance(exc, JoseError):
        return exc.description or exc.error
    return "malformed token"
