"""Tables of ingestion: load jobs (with progress and quarantine reports) and database sources."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.core.db import Base, Timestamps, UUIDPrimaryKey, portable_enum, utcnow


class JobStatus(StrEnum):
    """Where a load job stands.

    `staged` holds an uploaded file awaiting the official's go (the upload wizard);
    `quarantined` holds a bad file and its report until it is retried or deleted.
    """

    STAGED = "staged"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    QUARANTINED = "quarantined"


ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})
FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})


class SourceKind(StrEnum):
    """What a job loads from."""

    FILE = "file"
    DATABASE = "database"


class DataSource(UUIDPrimaryKey, Timestamps, Base):
    """A department's named database to pull tables from; its password is stored encrypted."""

    __tablename__ = "data_sources"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    dialect: Mapped[str] = mapped_column(String(32))
    # The SQLAlchemy URL without its password.
    url: Mapped[str] = mapped_column(String(1000))
    password_encrypted: Mapped[str] = mapped_column(String(1000), default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


class LoadJob(UUIDPrimaryKey, Base):
    """One load into a resource: its source, progress and outcome."""

    __tablename__ = "data_load_jobs"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[JobStatus] = mapped_column(portable_enum(JobStatus, "job_status"), index=True)
    source_kind: Mapped[SourceKind] = mapped_column(portable_enum(SourceKind, "source_kind"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    format: Mapped[str] = mapped_column(String(16), default="")
    # Where the source file waits (staging) or is kept (quarantine); empty for database pulls.
    source_key: Mapped[str] = mapped_column(String(500), default="")
    data_source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_sources.id", ondelete="SET NULL")
    )
    table_name: Mapped[str] = mapped_column(String(200), default="")
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Column name -> data element code, accepted by the official (applied on success).
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dataset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("data_dataset_versions.id", ondelete="SET NULL")
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
