"""API schemas and entry kinds of the trust ledger (hashes travel as standard base64)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from govhub.core.schemas import ReadSchema, Schema


class EntryKind(StrEnum):
    """Kinds of event the ledger records."""

    ACCOUNT_CREATED = "account_created"
    APPLICATION_APPROVED = "application_approved"
    APPLICATION_ESCALATED = "application_escalated"
    APPLICATION_REJECTED = "application_rejected"
    APPLICATION_SUBMITTED = "application_submitted"
    APPLICATION_TRANSFERRED = "application_transferred"
    APPROVAL = "approval"
    CATALOG_CHANGED = "catalog_changed"
    CONSENT_GIVEN = "consent_given"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    DATA_ACCESS = "data_access"
    DATASET_PUBLISHED = "dataset_published"
    GRANT_REVOKED = "grant_revoked"
    HEALTH_CODE_COLOR_CHANGED = "health_code_color_changed"
    HEALTH_RULE_CHANGED = "health_rule_changed"
    KEYS_ROTATED = "keys_rotated"
    LICENSE_ISSUED = "license_issued"
    LINEAGE_RECORDED = "lineage_recorded"
    LICENSE_REVOKED = "license_revoked"
    OFFICIAL_LOGIN = "official_login"
    PAYMENT_RECEIVED = "payment_received"
    PAYMENT_REFUNDED = "payment_refunded"
    OPENDATA_REPLIED = "opendata_replied"
    PICKUP_REDEEMED = "pickup_redeemed"
    RECONCILIATION_DIFFERENCE = "reconciliation_difference"
    RESERVATION_CAMPAIGN_PUBLISHED = "reservation_campaign_published"
    RESERVATION_DRAW_RESULT = "reservation_draw_result"
    RESERVATION_SEED_COMMITTED = "reservation_seed_committed"
    RESERVATION_SEED_REVEALED = "reservation_seed_revealed"
    ROLES_CHANGED = "roles_changed"
    SHARE_GRANTED = "share_granted"
    SHARE_REJECTED = "share_rejected"
    SHARE_REQUESTED = "share_requested"
    SHARE_WITHDRAWN = "share_withdrawn"
    RELEASE_DECIDED = "release_decided"
    RELEASE_PUBLISHED = "release_published"
    RELEASE_WITHDRAWN = "release_withdrawn"
    RATING_SUBMITTED = "rating_submitted"
    RECTIFICATION_OPENED = "rectification_opened"
    RECTIFICATION_CLOSED = "rectification_closed"
    PROACTIVE_RULE_CHANGED = "proactive_rule_changed"
    INVITATION_SENT = "invitation_sent"
    INVITATION_ANSWERED = "invitation_answered"


# Kinds whose details anyone may read; the rest only officials whose scope covers the department.
PUBLIC_KINDS = frozenset(
    {
        EntryKind.DATASET_PUBLISHED,
        EntryKind.GRANT_REVOKED,
        EntryKind.HEALTH_RULE_CHANGED,
        EntryKind.LICENSE_ISSUED,
        EntryKind.LICENSE_REVOKED,
        EntryKind.OPENDATA_REPLIED,
        EntryKind.RESERVATION_CAMPAIGN_PUBLISHED,
        EntryKind.RESERVATION_DRAW_RESULT,
        EntryKind.RESERVATION_SEED_COMMITTED,
        EntryKind.RESERVATION_SEED_REVEALED,
        EntryKind.SHARE_GRANTED,
        EntryKind.RELEASE_PUBLISHED,
        EntryKind.RELEASE_WITHDRAWN,
    }
)


class EntryRead(Schema):
    """An integrated entry: identifiers and the payload digest, never the payload."""

    index: int
    kind: str
    actor: str
    subject: str
    department_id: uuid.UUID | None
    payload_digest: str
    recorded_at: datetime
    leaf_hash: str


class InclusionProofRead(Schema):
    """An inclusion proof of one entry in one tree size."""

    index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]


class ConsistencyProofRead(Schema):
    """A consistency proof between two tree sizes."""

    first: int
    second: int
    hashes: list[str]


class CosignatureCreate(Schema):
    """A witness's cosignature line of the checkpoint of `tree_size`."""

    tree_size: int = Field(ge=0)
    signature: str = Field(min_length=8, max_length=400)


class CosignatureRead(ReadSchema):
    """A stored cosignature."""

    tree_size: int
    witness_name: str
    signed_at: int


class WitnessRead(Schema):
    """A registered witness and its verifier key."""

    name: str
    department_id: uuid.UUID
    vkey: str


class KeysRead(Schema):
    """The keys a verifier needs: the log's and every witness's."""

    origin: str
    log: str
    witnesses: list[WitnessRead]
