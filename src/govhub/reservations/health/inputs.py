"""What rules read: the newest dataset version of a resource the rule's department may use.

A department may use a resource it owns, or one it holds an active sharing grant for that
covers every field the rule reads. The Parquet version is read with DuckDB (decrypted by the
vault when sealed) by a parameterized query; column names come from the rule, checked
against the version's schema when the rule is saved and quoted as identifiers.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from datetime import date, timedelta

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.core.db import utcnow
from govhub.core.storage import get_storage
from govhub.data.catalog.models import DatasetVersion, Resource
from govhub.data.exchange.sql import quote
from govhub.data.sharing.models import Grant
from govhub.privacy import vault
from govhub.reservations.health.models import HealthRule, RuleMatch


class _Cursors(threading.local):
    """One DuckDB connection per thread, with the vault's filesystems registered once."""

    def __init__(self) -> None:
        self.con: duckdb.DuckDBPyConnection | None = None
        self.registered: set[int] = set()

    def source(self, storage_key: str) -> tuple[duckdb.DuckDBPyConnection, vault.Source]:
        if self.con is None:
            self.con = duckdb.connect()
        source = vault.open_dataset(storage_key, get_storage())
        if source.filesystem is not None and id(source.filesystem) not in self.registered:
            self.con.register_filesystem(source.filesystem)
            self.registered.add(id(source.filesystem))
        return self.con, source


_cursors = _Cursors()


def latest_version(session: Session, resource_id: uuid.UUID) -> DatasetVersion | None:
    """Return the newest dataset version of a resource, if any."""
    return session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id == resource_id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )


def grant_for(
    session: Session, *, department_id: uuid.UUID, resource: Resource, fields: Iterable[str]
) -> Grant | None:
    """Return a department's active grant for `resource` that covers `fields`, if any."""
    wanted = set(fields)
    now = utcnow()
    grants = session.scalars(
        select(Grant)
        .where(
            Grant.department_id == department_id,
            Grant.resource_id == resource.id,
            Grant.revoked_at.is_(None),
            Grant.expires_at > now,
        )
        .order_by(Grant.granted_at.desc())
    ).all()
    return next((g for g in grants if wanted <= set(g.fields)), None)


def may_use(
    session: Session, *, department_id: uuid.UUID, resource: Resource, fields: Iterable[str]
) -> bool:
    """Tell whether a department owns `resource` or holds an active grant covering `fields`."""
    if resource.department_id == department_id:
        return True
    return (
        grant_for(session, department_id=department_id, resource=resource, fields=fields)
        is not None
    )


def rule_fields(rule: HealthRule) -> list[str]:
    """Return the dataset fields a rule reads."""
    return [f for f in (rule.id_field, rule.date_field, rule.match_field) if f is not None]


def fires(version: DatasetVersion, rule: HealthRule, *, id_number: str, today: date) -> bool:
    """Tell whether `rule` fires for the resident with `id_number` on `today`."""
    # Identifiers are quoted; every value is a parameter.
    sql = (
        "SELECT count(*) FROM read_parquet($path) WHERE "  # noqa: S608
        f"CAST({quote(rule.id_field)} AS VARCHAR) = $id"
        f" AND TRY_CAST({quote(rule.date_field)} AS DATE) >= $since"
    )
    params: dict[str, object] = {
        "id": id_number,
        "since": today - timedelta(days=rule.within_days - 1),
    }
    if rule.match_field is not None:
        sql += f" AND CAST({quote(rule.match_field)} AS VARCHAR) = $value"
        params["value"] = rule.match_value
    con, source = _cursors.source(version.storage_key)
    row = con.execute(sql, {"path": source.path, **params}).fetchone()
    found = bool(row and row[0])
    return found if rule.match is RuleMatch.PRESENT else not found
