"""A scratch database for the service-level benchmarks: a SQLite file, or a PostgreSQL schema of
its own on the given server, created with GovHub's tables and dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from govhub.core.db import make_engine
from govhub.models import Base


@contextmanager
def scratch(server: str | None, directory: Path, name: str) -> Iterator[tuple[str, str]]:
    """Yield (backend, URL) of an empty database named after `name`, with the schema created."""
    schema = None
    if server is None:
        backend, url = "sqlite", f"sqlite:///{directory / f'{name}.db'}"
    else:
        schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        admin = make_engine(server)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema}"
        backend = "postgresql"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    try:
        yield backend, url
    finally:
        if schema is not None:
            admin = make_engine(server or url)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
