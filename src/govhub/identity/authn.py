"""Authentication: argon2id passwords, lockout, throttling, browser sessions, bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from govhub.core.cache import WatchedCache
from govhub.core.db import utcnow
from govhub.core.errors import Unauthenticated
from govhub.core.ratelimit import SlidingWindow
from govhub.core.settings import get_settings
from govhub.identity import audit, tokens
from govhub.identity.models import (
    Account,
    AccountKind,
    AccountRole,
    AuditAction,
    Department,
    OAuthClient,
    SigningKey,
    WebSession,
)
from govhub.identity.permissions import Role
from govhub.identity.principal import Principal
from govhub.ledger import service as ledger
from govhub.ledger.schemas import EntryKind

API_AUDIENCE = "govhub-api"


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
    )  # argon2id; the defaults are RFC 9106's low-memory recommendation


@lru_cache
def _dummy_hash() -> str:
    """A hash verified against when the user is unknown, so both paths cost the same."""
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether `password` matches `password_hash` (constant-time)."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


login_throttle = SlidingWindow("login attempts")


class LoginFailed(Unauthenticated):
    """Wrong credentials; the failure is counted (and audited) even though the request fails."""

    keeps_changes = True


def authenticate(session: Session, *, username: str, password: str, ip: str | None) -> Account:
    """Check a username and password, applying throttling, lockout and the audit trail."""
    settings = get_settings()
    login_throttle.hit(audit.hash_ip(ip) or "-", limit=settings.login_rate_per_minute)
    account = session.scalar(
        select(Account).where(func.lower(Account.username) == username.strip().lower())
    )
    if account is None:
        verify_password(_dummy_hash(), password)
        audit.record(session, AuditAction.LOGIN_FAILED, ip=ip, reason="unknown_user")
        raise LoginFailed("wrong username or password")
    now = utcnow()
    if account.locked_until is not None and account.locked_until > now:
        audit.record(
            session,
            AuditAction.LOGIN_FAILED,
            account_id=account.id,
            department_id=account.department_id,
            ip=ip,
            reason="locked",
        )
        raise LoginFailed("this account is temporarily locked after repeated failures")
    if not verify_password(account.password_hash, password) or not account.is_active:
        account.failed_logins += 1
        reason = "bad_password" if account.is_active else "inactive"
        audit.record(
            session,
            AuditAction.LOGIN_FAILED,
            account_id=account.id,
            department_id=account.department_id,
            ip=ip,
            reason=reason,
        )
        if account.failed_logins >= settings.login_max_failures:
            account.locked_until = now + timedelta(seconds=settings.login_lockout_seconds)
            account.failed_logins = 0
            audit.record(
                session,
                AuditAction.LOGIN_LOCKED,
                account_id=account.id,
                department_id=account.department_id,
                ip=ip,
            )
        session.flush()
        raise LoginFailed("wrong username or password")
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    audit.record(
        session,
        AuditAction.LOGIN_SUCCEEDED,
        account_id=account.id,
        department_id=account.department_id,
        ip=ip,
    )
    if account.kind is AccountKind.OFFICIAL:
        ledger.record(
            session,
            kind=EntryKind.OFFICIAL_LOGIN,
            actor=str(account.id),
            subject=str(account.id),
            payload={"account_id": str(account.id)},
            department_id=account.department_id,
        )
    return account


def principal_for(account: Account) -> Principal:
    """Build the principal of a signed-in account."""
    department = account.department
    return Principal(
        username=account.username,
        display_name=account.display_name,
        roles=account.roles,
        account_id=account.id,
        kind=account.kind,
        department_id=department.id if department else None,
        division_code=department.division_code if department else None,
        locale=account.locale,
    )


def principal_for_client(session: Session, client: OAuthClient) -> Principal:
    """Build the principal of a machine client acting for its department."""
    department = session.get(Department, client.department_id) if client.department_id else None
    return Principal(
        username=client.client_id,
        display_name=client.name,
        roles=frozenset(Role(r) for r in client.roles),
        department_id=department.id if department else None,
        division_code=department.division_code if department else None,
        client_id=client.client_id,
    )


# --- bearer tokens ---------------------------------------------------------------------------


def issue_access_token(
    session: Session,
    *,
    account: Account | None = None,
    client: OAuthClient | None = None,
    scope: str = "",
    grant: str | None = None,
) -> tuple[str, int]:
    """Issue a short-lived API access token for an account or a machine client.

    With both an account and a client, the token is the account's, obtained through that
    client (the OIDC authorization-code flow): it names the client in `client_id`.
    """
    ttl = get_settings().access_token_ttl_seconds
    if account is not None:
        claims = {"sub": str(account.id), "aud": API_AUDIENCE, "scope": scope}
        if client is not None:
            claims["client_id"] = client.client_id
        audit.record(
            session,
            AuditAction.TOKEN_ISSUED,
            account_id=account.id,
            department_id=account.department_id,
            client_id=client.client_id if client is not None else None,
            grant=grant or "password",
        )
    elif client is not None:
        claims = {
            "sub": f"client:{client.client_id}",
            "client_id": client.client_id,
            "aud": API_AUDIENCE,
            "scope": scope,
        }
        audit.record(
            session,
            AuditAction.TOKEN_ISSUED,
            client_id=client.client_id,
            department_id=client.department_id,
            grant=grant or "client_credentials",
        )
    else:
        raise ValueError("an access token needs an account or a client")
    return tokens.issue_jwt(session, claims, ttl_seconds=ttl), ttl


CLIENT_PRINCIPAL_SECONDS = 5.0
# Active clients' principals: dropped when this process touches a client or a department (a
# deactivated client is refused by its next call); other processes' changes within seconds.
_client_principals: WatchedCache[str, Principal] = WatchedCache(OAuthClient, Department)
# Clients' principals by bearer token, with the token's expiry, so a system's repeated calls
# skip the signature check too: dropped as `_client_principals` is, and when this process
# touches a signing key (a retired key's tokens are refused by their next call).
_client_tokens: WatchedCache[str, tuple[Principal, float]] = WatchedCache(
    OAuthClient, Department, SigningKey
)


def active_account_principal(session: Session, account_id: uuid.UUID) -> Principal | None:
    """Build an active account's principal from one statement (no ORM objects), or None."""
    accounts = cast(Table, Account.__table__)
    departments = cast(Table, Department.__table__)
    roles = cast(Table, AccountRole.__table__)
    rows = (
        session.connection()
        .execute(
            select(
                accounts.c.username,
                accounts.c.display_name,
                accounts.c.kind,
                accounts.c.locale,
                accounts.c.department_id,
                departments.c.division_code,
                roles.c.role,
            )
            .select_from(
                accounts.outerjoin(
                    departments, departments.c.id == accounts.c.department_id
                ).outerjoin(roles, roles.c.account_id == accounts.c.id)
            )
            .where(accounts.c.id == account_id, accounts.c.is_active.is_(True))
        )
        .all()
    )
    if not rows:
        return None
    first = rows[0]
    return Principal(
        username=first.username,
        display_name=first.display_name,
        roles=frozenset(Role(row.role) for row in rows if row.role is not None),
        account_id=account_id,
        kind=AccountKind(first.kind),
        department_id=first.department_id,
        division_code=first.division_code if first.department_id is not None else None,
        locale=first.locale,
    )


ACCOUNT_PRINCIPAL_SECONDS = 5.0
# Accounts' principals by bearer token, with the token's expiry: dropped when this process
# touches an account, its roles, a department or a signing key (a disabled account or a
# withdrawn role is refused by its next call); other processes' changes within seconds.
_account_principals: WatchedCache[str, tuple[Principal, float]] = WatchedCache(
    Account, AccountRole, Department, SigningKey
)


def principal_from_token(session: Session, token: str) -> Principal:
    """Verify an API bearer token and return its principal (checking the subject still may act)."""
    cached = _account_principals.get(token, ttl=ACCOUNT_PRINCIPAL_SECONDS) or _client_tokens.get(
        token, ttl=CLIENT_PRINCIPAL_SECONDS
    )
    if cached is not None and time.time() < cached[1]:
        return cached[0]
    since, token_since = _account_principals.generation, _client_tokens.generation
    claims = tokens.verify_jwt(session, token, audience=API_AUDIENCE)
    subject = str(claims["sub"])
    if subject.startswith("client:"):
        machine = _client_principal(session, subject.removeprefix("client:"))
        entry = (machine, float(claims["exp"]))
        _client_tokens.put(token, entry, since=token_since, ttl=CLIENT_PRINCIPAL_SECONDS)
        return machine
    try:
        account_id = uuid.UUID(subject)
    except ValueError as exc:
        raise Unauthenticated("invalid token subject") from exc
    principal = active_account_principal(session, account_id)
    if principal is None:
        raise Unauthenticated("the account of this token is no longer active")
    expiry = float(claims["exp"])
    _account_principals.put(token, (principal, expiry), since=since, ttl=ACCOUNT_PRINCIPAL_SECONDS)
    return principal


def _client_principal(session: Session, client_id: str) -> Principal:
    cached = _client_principals.get(client_id, ttl=CLIENT_PRINCIPAL_SECONDS)
    if cached is not None:
        return cached
    since = _client_principals.generation
    client = session.get(OAuthClient, client_id)
    if client is None or not client.is_active:
        raise Unauthenticated("the client of this token is no longer active")
    machine = principal_for_client(session, client)
    _client_principals.put(client_id, machine, since=since, ttl=CLIENT_PRINCIPAL_SECONDS)
    return machine


def authenticate_client(session: Session, *, client_id: str, client_secret: str) -> OAuthClient:
    """Check a machine client's credentials."""
    client = session.get(OAuthClient, client_id)
    if client is None or client.secret_hash is None:
        verify_password(_dummy_hash(), client_secret)
        raise Unauthenticated("invalid client credentials")
    if not verify_password(client.secret_hash, client_secret) or not client.is_active:
        raise Unauthenticated("invalid client credentials")
    return client


# --- browser sessions ------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_web_session(session: Session, account: Account) -> str:
    """Open a browser session for `account` and return the cookie value."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(seconds=get_settings().session_ttl_seconds)
    session.add(
        WebSession(token_hash=_token_hash(token), account_id=account.id, expires_at=expires)
    )
    session.flush()
    return token


def principal_from_web_session(session: Session, token: str) -> Principal | None:
    """Return the principal of a live browser session, or None."""
    row = session.get(WebSession, _token_hash(token))
    if row is None or row.expires_at <= utcnow():
        return None
    account = session.get(Account, row.account_id)
    if account is None or not account.is_active:
        return None
    return principal_for(account)


def web_session_started_at(session: Session, token: str) -> datetime | None:
    """Return when a live browser session began (the OIDC `auth_time`), or None."""
    row = session.get(WebSession, _token_hash(token))
    if row is None or row.expires_at <= utcnow():
        return None
    return row.created_at


def end_web_session(session: Session, token: str) -> None:
    """Close a browser session (and purge expired ones)."""
    row = session.get(WebSession, _token_hash(token))
    if row is not None:
        audit.record(session, AuditAction.LOGOUT, account_id=row.account_id)
        session.delete(row)
    session.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
    session.flush()
