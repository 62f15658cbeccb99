"""The ledger's operations, in one place for other domains (`from govhub.ledger import service`).

Each lives in a module named for its job:

* `recording` — `record` (one INSERT in the caller's transaction), payload digests, actors;
* `integration` — `integrate`: pending rows into the log, exactly once, with a checkpoint;
* `leaves` — the canonical bytes a leaf hashes;
* `proofs` — checkpoints and inclusion and consistency proofs from stored subtree hashes;
* `access` — who may read an entry's details;
* `cosigning` — department witnesses and their cosignatures;
* `settings`, `signing` — the tunables, the origin and the platform's checkpoint key.
"""

from __future__ import annotations

from govhub.ledger.access import Event, can_read, events_about, get_entry
from govhub.ledger.cosigning import (
    add_cosignature,
    list_witnesses,
    register_witness,
    witness_verifier,
)
from govhub.ledger.integration import Integration, integrate, integrate_all
from govhub.ledger.leaves import entry_leaf_data, leaf_data, timestamp_text
from govhub.ledger.recording import (
    actor_of,
    batch_ready,
    canonical_json,
    payload_digest,
    record,
)
from govhub.ledger.settings import LedgerSettings, get_ledger_settings, origin
from govhub.ledger.signing import log_signer, log_verifier

__all__ = [
    "Event",
    "Integration",
    "LedgerSettings",
    "actor_of",
    "add_cosignature",
    "batch_ready",
    "can_read",
    "canonical_json",
    "entry_leaf_data",
    "events_about",
    "get_entry",
    "get_ledger_settings",
    "integrate",
    "integrate_all",
    "leaf_data",
    "list_witnesses",
    "log_signer",
    "log_verifier",
    "origin",
    "payload_digest",
    "record",
    "register_witness",
    "timestamp_text",
    "witness_verifier",
]
