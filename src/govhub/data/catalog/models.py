"""Tables of the resource catalog: resources, their metadata versions, themes, search terms,
and the dataset versions that ingestion attaches to a resource."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govhub.core.db import Base, Timestamps, UUIDPrimaryKey, portable_enum, utcnow
from govhub.identity.models import Department


class SharingType(StrEnum):
    """Whether other departments may obtain the data (national catalog rules)."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NOT_SHARED = "not_shared"


class OpeningType(StrEnum):
    """Whether the public may obtain the data."""

    OPEN = "open"
    CONDITIONAL = "conditional"
    NOT_OPEN = "not_open"


class SecurityClass(StrEnum):
    """Data classification under the Data Security Law."""

    CORE = "core"
    IMPORTANT = "important"
    GENERAL = "general"


class Sensitivity(StrEnum):
    """How much harm disclosure would do (graded protection of the content)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    SENSITIVE = "sensitive"
    HIGHLY_SENSITIVE = "highly_sensitive"


class UpdateFrequency(StrEnum):
    """How often the data is refreshed (DCAT accrualPeriodicity)."""

    REAL_TIME = "real_time"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"
    IRREGULAR = "irregular"
    NEVER = "never"


class Theme(StrEnum):
    """Subject themes of the catalog (DCAT theme), after the provincial catalog's classes."""

    ECONOMY = "economy"
    MARKET = "market"
    TAXATION = "taxation"
    POPULATION = "population"
    SOCIAL_SECURITY = "social_security"
    HEALTH = "health"
    EDUCATION = "education"
    TRANSPORT = "transport"
    ENVIRONMENT = "environment"
    CREDIT = "credit"
    PUBLIC_SAFETY = "public_safety"
    URBAN = "urban"
    AGRICULTURE = "agriculture"
    GOVERNMENT = "government"


class FieldType(StrEnum):
    """Value types of a resource's fields."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"


class Resource(UUIDPrimaryKey, Timestamps, Base):
    """A data resource of a department: its current metadata (every change is a new version)."""

    __tablename__ = "catalog_resources"

    identifier: Mapped[str] = mapped_column(String(64), unique=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(String(4000), default="")
    description_en: Mapped[str] = mapped_column(String(4000), default="")
    update_frequency: Mapped[UpdateFrequency] = mapped_column(
        portable_enum(UpdateFrequency, "update_frequency")
    )
    temporal_start: Mapped[date | None]
    temporal_end: Mapped[date | None]
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    division_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    sharing_type: Mapped[SharingType] = mapped_column(
        portable_enum(SharingType, "sharing_type"), index=True
    )
    sharing_conditions: Mapped[str] = mapped_column(String(1000), default="")
    opening_type: Mapped[OpeningType] = mapped_column(
        portable_enum(OpeningType, "opening_type"), index=True
    )
    opening_conditions: Mapped[str] = mapped_column(String(1000), default="")
    security_class: Mapped[SecurityClass] = mapped_column(
        portable_enum(SecurityClass, "security_class")
    )
    sensitivity: Mapped[Sensitivity] = mapped_column(portable_enum(Sensitivity, "sensitivity"))
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    license: Mapped[str] = mapped_column(String(100), default="")
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Filled by quality assessment (a five-level grade); None until a dataset is assessed.
    quality_grade: Mapped[str | None] = mapped_column(String(8), index=True)
    # Set when the owner withdraws the resource from the catalog (kept, with its versions).
    withdrawn_at: Mapped[datetime | None]
    # When its newest dataset version was published (kept by ingest); None until the first.
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )

    department: Mapped[Department] = relationship(lazy="joined")
    theme_rows: Mapped[list[ResourceTheme]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ResourceTheme.theme"
    )

    @property
    def themes(self) -> list[Theme]:
        """The resource's themes, sorted."""
        return [row.theme for row in self.theme_rows]


class ResourceTheme(Base):
    """One theme of one resource (a row each, so themes can be counted as a facet)."""

    __tablename__ = "catalog_resource_themes"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[Theme] = mapped_column(
        portable_enum(Theme, "theme"), primary_key=True, index=True
    )


class ResourceVersion(Base):
    """A frozen copy of a resource's metadata as it stood at one version."""

    __tablename__ = "catalog_resource_versions"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


class SearchTerm(Base):
    """A search term of a resource: a jieba token of its Chinese text or an English word."""

    __tablename__ = "catalog_search_terms"
    # (term, resource_id): a term's resources come from the index alone, without a table read
    # per match (10x on a term matching a quarter of a 10,000-dataset catalog).
    __table_args__ = (Index("ix_catalog_search_terms_term", "term", "resource_id"),)

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True)


class DatasetVersion(UUIDPrimaryKey, Base):
    """An immutable dataset loaded for a resource: a Parquet file in storage (filled by ingest)."""

    __tablename__ = "data_dataset_versions"
    __table_args__ = (UniqueConstraint("resource_id", "version"),)

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_resources.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(500))
    row_count: Mapped[int] = mapped_column(BigInteger)
    schema: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    digest: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
