"""Verifiable credentials as `vc+jwt`: building, signing and checking them, offline.

A license is a W3C Verifiable Credential (Data Model 2.0) secured as a compact JWS with
Ed25519 (`alg` EdDSA, `typ` vc+jwt, `cty` vc): the JWT payload is the credential itself plus
the registered claims `iss`, `sub`, `jti`, `iat`, `nbf` and `exp`, so any JOSE library checks
it. The issuer is a `did:web` identifier of the department; the header `kid` names the key in
the published JWKS (and the verification method `<did>#<kid>` of its DID document).

Revocation uses a Bitstring Status List: each license holds one index of its issuer's list;
a set bit means revoked. The list is at least 131,072 bits, gzip-compressed and multibase
base64url (`u` prefix) encoded, and published inside a credential of its own.

Everything here is pure: `check_token` needs nothing but the public keys, so a relying party
with the JWKS (and, for revocation, the status list) verifies without calling the platform.
"""

from __future__ import annotations

import base64
import binascii
import copy
import gzip
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from govhub.licenses.errors import LicenseExpired, LicenseInvalid

ALGORITHM = "EdDSA"
MEDIA_TYPE = "vc+jwt"
CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
STATUS_LIST_BITS = 131_072
_MAX_TOKEN_CHARS = 8_000
_LEEWAY_SECONDS = 30

KeyLookup = Callable[[str], OKPKey | None]

# RFC 9864 names Ed25519 signatures `Ed25519` and deprecates `EdDSA`, but most relying parties
# (PyJWT among them) know only `EdDSA`; the signature is the same, so licenses keep `EdDSA` and
# this registry allows exactly that one algorithm, without joserfc's deprecation warning.
_EDDSA = copy.copy(JWSRegistry.algorithms[ALGORITHM])
_EDDSA.security_warning = None


class _Registry(JWSRegistry):
    algorithms = {**JWSRegistry.algorithms, ALGORITHM: _EDDSA}  # noqa: RUF012 - as the base's


_REGISTRY = _Registry(algorithms=[ALGORITHM])


def did_for(base_url: str, path: str) -> str:
    """Return the did:web identifier resolving to `<base_url>/<path>/did.json`."""
    parts = urlsplit(base_url)
    host = parts.netloc.replace(":", "%3A")
    segments = [s for s in (parts.path.strip("/") + "/" + path.strip("/")).split("/") if s]
    return ":".join(["did:web", host, *segments])


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_credential(
    *,
    credential_id: str,
    types: list[str],
    issuer: dict[str, str],
    subject: dict[str, Any],
    valid_from: datetime,
    valid_until: datetime | None,
    status: dict[str, str] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Return the JWT payload of a credential: the VC plus the registered JWT claims."""
    payload: dict[str, Any] = {
        "@context": [CONTEXT_V2],
        "id": credential_id,
        "type": ["VerifiableCredential", *types],
        "issuer": issuer,
        "validFrom": _iso(valid_from),
        "credentialSubject": subject,
    }
    if name:
        payload["name"] = name
    if valid_until is not None:
        payload["validUntil"] = _iso(valid_until)
    if status is not None:
        payload["credentialStatus"] = status
    payload |= {
        "iss": issuer["id"],
        "jti": credential_id,
        "iat": int(valid_from.timestamp()),
        "nbf": int(valid_from.timestamp()),
    }
    if "id" in subject:
        payload["sub"] = subject["id"]
    if valid_until is not None:
        payload["exp"] = int(valid_until.timestamp())
    return payload


def sign(payload: dict[str, Any], *, key: OKPKey, kid: str) -> str:
    """Sign `payload` as a compact vc+jwt with the Ed25519 `key`."""
    header = {"alg": ALGORITHM, "typ": MEDIA_TYPE, "cty": "vc", "kid": kid}
    return jwt.encode(header, payload, key, registry=_REGISTRY)


def _segment(part: str) -> dict[str, Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise LicenseInvalid("the license is not a well-formed JWT", field="token") from exc
    if not isinstance(decoded, dict):
        raise LicenseInvalid("the license is not a well-formed JWT", field="token")
    return decoded


def peek_header(token: str) -> dict[str, Any]:
    """Return the unverified protected header of a compact JWS, checking its form only."""
    if not token or len(token) > _MAX_TOKEN_CHARS or token.count(".") != 2:
        raise LicenseInvalid("the license is not a compact JWT", field="token")
    header = _segment(token.split(".", 1)[0])
    if header.get("alg") != ALGORITHM:
        raise LicenseInvalid("the license must be signed with EdDSA (Ed25519)", field="token")
    if header.get("typ") != MEDIA_TYPE:
        raise LicenseInvalid("the license is not a vc+jwt", field="token")
    if not isinstance(header.get("kid"), str):
        raise LicenseInvalid("the license names no signing key", field="token")
    return header


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise LicenseInvalid("the license's validity period is malformed", field="token")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise LicenseInvalid("the license's validity period is malformed", field="token") from exc


def check_token(token: str, keys: KeyLookup, *, now: datetime | None = None) -> dict[str, Any]:
    """Verify a vc+jwt's form, Ed25519 signature and validity period; return its payload.

    `keys` maps a `kid` to its public key (None when unknown). Raises `LicenseInvalid` for
    anything forged, tampered with or malformed and `LicenseExpired` outside the validity period.
    """
    header = peek_header(token)
    key = keys(header["kid"])
    if key is None:
        raise LicenseInvalid("the license was signed with an unknown key", field="token")
    try:
        claims = dict(jwt.decode(token, key, registry=_REGISTRY).claims)
    except (JoseError, ValueError) as exc:
        raise LicenseInvalid("the license's signature does not verify", field="token") from exc
    context = claims.get("@context")
    types = claims.get("type")
    issuer = claims.get("issuer")
    if (
        not isinstance(context, list)
        or not context
        or context[0] != CONTEXT_V2
        or not isinstance(types, list)
        or "VerifiableCredential" not in types
        or not isinstance(issuer, dict)
        or claims.get("iss") != issuer.get("id")
        or not isinstance(claims.get("credentialSubject"), dict)
    ):
        raise LicenseInvalid("the token is not a verifiable credential", field="token")
    moment = now or datetime.now(UTC)
    valid_from = _instant(claims.get("validFrom"))
    valid_until = _instant(claims.get("validUntil"))
    slack = _LEEWAY_SECONDS
    if valid_from is not None and (valid_from - moment).total_seconds() > slack:
        raise LicenseExpired("the license is not valid yet", field="token")
    if valid_until is not None and (moment - valid_until).total_seconds() >= 0:
        raise LicenseExpired("the license has expired", field="token")
    return claims


def encode_status_list(revoked: Iterable[int], *, size: int = STATUS_LIST_BITS) -> str:
    """Encode the set bits `revoked` as a multibase (u) base64url gzip bitstring."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_status_list(encoded: str) -> bytes:
    """Decode a multibase (u) base64url gzip bitstring to its bytes."""
    if not encoded.startswith("u"):
        raise LicenseInvalid("the status list is not multibase base64url", field="encodedList")
    body = encoded[1:]
    padded = body + "=" * (-len(body) % 4)
    try:
        bits = gzip.decompress(base64.b64decode(padded, altchars=b"-_", validate=True))
    except (binascii.Error, ValueError, OSError, EOFError) as exc:
        raise LicenseInvalid("the status list does not decode", field="encodedList") from exc
    if len(bits) * 8 < STATUS_LIST_BITS:
        raise LicenseInvalid("the status list is shorter than 131,072 bits", field="encodedList")
    return bits


def bit_is_set(bitstring: bytes, index: int) -> bool:
    """Tell whether bit `index` (0 is the left-most bit of the first byte) is set."""
    if not 0 <= index < len(bitstring) * 8:
        raise LicenseInvalid("the status index lies outside the status list", field="token")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))
