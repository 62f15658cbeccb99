"""Database sources: named SQLAlchemy URLs a department pulls tables from.

The password never leaves this module in clear except into the driver: it is stored with
`encrypt_field` bound to the source's id, the URL is stored without it, and every answer and
message shows the URL with the password left out. Allowed dialects come from
`GOVHUB_INGEST_PULL_DIALECTS`; SQLite (a file on the server) only in development and test.
"""

from __future__ import annotations

import uuid

from sqlalchemy import URL, make_url, select
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session

from govhub.core.crypto import decrypt_field, encrypt_field
from govhub.core.errors import Conflict, InvalidInput, NotFound
from govhub.core.settings import get_settings
from govhub.data.ingest.models import DataSource
from govhub.data.ingest.schemas import DataSourceCreate
from govhub.data.ingest.settings import IngestSettings, get_ingest_settings
from govhub.identity.models import Department
from govhub.identity.permissions import Permission
from govhub.identity.principal import Principal

DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql", "sqlite": "pysqlite"}
NOT_FOUND = "no such data source"


def allowed_dialects(settings: IngestSettings | None = None) -> set[str]:
    """Return the database kinds tables may be pulled from here."""
    settings = settings or get_ingest_settings()
    allowed = {name.lower() for name in settings.pull_dialects}
    if get_settings().env in ("development", "test"):
        allowed.add("sqlite")
    return allowed & DRIVERS.keys()


def parse_url(text: str, settings: IngestSettings | None = None) -> URL:
    """Parse and check a source URL: a known, allowed dialect with GovHub's driver."""
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise InvalidInput(
            "not a database URL (dialect://user@host/database)", field="url"
        ) from None
    backend, _, driver = url.drivername.partition("+")
    backend = backend.lower()
    if backend not in allowed_dialects(settings):
        raise InvalidInput(
            f"pulling from {backend[:40]} databases is not allowed here", field="url"
        )
    if driver and driver != DRIVERS[backend]:
        raise InvalidInput(f"use the {DRIVERS[backend]} driver for {backend}", field="url")
    if backend != "sqlite" and not url.host:
        raise InvalidInput("the URL names no host", field="url")
    if not url.database:
        raise InvalidInput("the URL names no database", field="url")
    return url.set(drivername=f"{backend}+{DRIVERS[backend]}")


def shown_url(url: URL) -> str:
    """Return a URL as text without its password."""
    # `URL.set(password=None)` keeps the password: None means "unchanged" there.
    return url._replace(password=None).render_as_string(hide_password=False)


def _context(source_id: uuid.UUID) -> str:
    return f"data_sources.password:{source_id}"


def connect_url(source: DataSource) -> URL:
    """Return the source's full URL, password included (for the driver only)."""
    url = make_url(source.url)
    if source.password_encrypted:
        url = url.set(
            password=decrypt_field(source.password_encrypted, context=_context(source.id))
        )
    return url


def _may_manage(principal: Principal, department: Department) -> bool:
    if not principal.can(Permission.DATA_SOURCES):
        return False
    if department.id == principal.department_id:
        return True
    return principal.can(Permission.CATALOG_MANAGE) and principal.covers(department.division_code)


def _may_use(principal: Principal, source: DataSource, department: Department) -> bool:
    if source.department_id == principal.department_id and principal.can(Permission.DATA_INGEST):
        return True
    return principal.can(Permission.CATALOG_MANAGE) and principal.covers(department.division_code)


def register(session: Session, *, principal: Principal, data: DataSourceCreate) -> DataSource:
    """Register a named database source of a department (its password is encrypted)."""
    department_id = data.department_id or principal.department_id
    department = session.get(Department, department_id) if department_id else None
    if department is None or not _may_manage(principal, department):
        raise NotFound("no such department")
    url = parse_url(data.url)
    source = DataSource(
        id=uuid.uuid4(),
        department_id=department.id,
        name=data.name,
        dialect=url.get_backend_name(),
        url=shown_url(url),
        created_by=principal.account_id,
    )
    if url.password:
        source.password_encrypted = encrypt_field(str(url.password), context=_context(source.id))
    session.add(source)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"the department already has a data source named {data.name}") from None
    return source


def list_sources(session: Session, *, principal: Principal) -> list[DataSource]:
    """List the data sources the principal may pull from or manage, by name."""
    rows = session.scalars(select(DataSource).order_by(DataSource.name))
    return [row for row in rows if _visible(session, principal, row)]


def _visible(session: Session, principal: Principal, source: DataSource) -> bool:
    department = session.get(Department, source.department_id)
    if department is None:
        return False
    return _may_use(principal, source, department) or _may_manage(principal, department)


def get_usable(session: Session, *, principal: Principal, source_id: uuid.UUID) -> DataSource:
    """Return a source the principal may pull from (others look missing)."""
    source = session.get(DataSource, source_id)
    department = session.get(Department, source.department_id) if source else None
    if source is None or department is None or not _may_use(principal, source, department):
        raise NotFound(NOT_FOUND)
    return source


def find_by_name(session: Session, *, department_id: uuid.UUID, name: str) -> DataSource:
    """Return a department's source by name (for the command line)."""
    source = session.scalar(
        select(DataSource).where(DataSource.department_id == department_id, DataSource.name == name)
    )
    if source is None:
        raise NotFound(NOT_FOUND)
    return source


def delete(session: Session, *, principal: Principal, source_id: uuid.UUID) -> None:
    """Remove a data source (jobs that used it keep their history)."""
    source = session.get(DataSource, source_id)
    department = session.get(Department, source.department_id) if source else None
    if source is None or department is None or not _may_manage(principal, department):
        raise NotFound(NOT_FOUND)
    session.delete(source)
    session.flush()
