"""The table of de-identified releases: one computed release of one dataset version."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.core.db import Base, UUIDPrimaryKey, portable_enum, utcnow
from govhub.data.catalog.models import DatasetVersion, Resource


class ReleaseStatus(StrEnum):
    """Where a release stands: computed, published (served to the public) or withdrawn."""

    COMPUTED = "computed"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Release(UUIDPrimaryKey, Base):
    """A de-identified copy of a dataset version, its parameters, risk and the gate's decision.

    `publishable` is the gate's decision when computed: a release of personal data whose
    highest re-identification risk exceeds `threshold` is never published.
    """

    __tablename__ = "opendata_releases"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), index=True
    )
    dataset_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_dataset_versions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ReleaseStatus] = mapped_column(
        portable_enum(ReleaseStatus, "release_status"), default=ReleaseStatus.COMPUTED, index=True
    )
    method: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    has_personal: Mapped[bool]
    threshold: Mapped[float]
    risk_highest: Mapped[float]
    publishable: Mapped[bool]
    storage_key: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(80))
    row_count: Mapped[int] = mapped_column(BigInteger)
    schema: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    resource: Mapped[Resource] = relationship(lazy="joined")
    dataset_version: Mapped[DatasetVersion] = relationship(lazy="joined")
