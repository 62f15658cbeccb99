"""The trust ledger: an append-only Merkle transparency log of platform events.

How it works, and the choices made:

* **Recording** (`recording.py`). A domain calls `service.record(session, kind=...,
  actor=..., subject=..., payload=..., department_id=...)` inside its own transaction. One
  prepared INSERT stores a *pending* row in `ledger_pending` (a table with only its primary
  key) with identifiers and the SHA-256 of the payload's canonical JSON (sorted keys, no
  spaces, UTF-8); the payload itself, names and ID numbers never reach the ledger. The row
  exists exactly when the change it records was committed.
* **Integration** (`integration.py`). `service.integrate` (a background task of the app
  every `GOVHUB_LEDGER_BATCH_INTERVAL_SECONDS`, default 1 s, or as soon as
  `GOVHUB_LEDGER_BATCH_SIZE` events were recorded; and `govhub ledger integrate`) runs in a
  transaction of its own: it first updates the single `ledger_state` row, which takes a row
  lock on PostgreSQL and the write lock on SQLite, so concurrent integrators queue. One
  statement deletes a batch of pending rows and returns them (one snapshot: a row it does not
  see stays pending); they get consecutive indices and leaf hashes and are appended to
  `ledger_entries` (COPY on PostgreSQL; rows are never updated) with every newly completed
  subtree hash, the new state and a signed checkpoint, all in that one transaction. A crash
  before the commit leaves the rows pending for the next run, so each committed event gets
  exactly one index.
* **Hashing** is RFC 9162's (`merkle.py`). A leaf is the canonical JSON of the entry *with
  its index* (`leaves.leaf_data`), so reordering rows changes leaf hashes at the exact
  positions. The log stores the hash of every complete aligned subtree (`ledger_nodes`,
  level >= 1; level 0 is the entries' `leaf_hash`). Any subtree an RFC 9162 proof needs
  splits into at most log2(n) stored nodes, so a proof is one query of O(log n) primary-key
  reads, whatever the tree size.
* **Checkpoints** are C2SP `tlog-checkpoint` bodies in C2SP `signed-note` envelopes, signed
  with Ed25519 (`checkpoint.py`). The key name is the origin (`GOVHUB_LEDGER_ORIGIN`, default
  the public host + `/ledger`); the key ID is the first 4 bytes of
  SHA-256(name || 0x0A || 0x01 || public key); the private key is derived from the master
  secret with HKDF (purpose `ledger-checkpoint-signing:v1`), so it needs no storage of its
  own. `GET /api/v1/ledger/checkpoint` is the stable URL; `/api/v1/ledger/keys` lists the
  verifier keys.
* **Witnesses** (`witness.py`, `cosigning.py`, `govhub ledger witness`) belong to
  departments. A witness keeps the last checkpoint it cosigned, checks the platform
  signature, refuses smaller or forked trees, verifies the consistency proof, and cosigns
  with a C2SP `tlog-cosignature` v1 line (timestamped; key ID over algorithm byte 0x04).
  The platform stores a cosignature only from a machine client or official of the
  witness's own department, after verifying it, and appends it to the published note;
  clients choose how many they require.
* **Verification.** `verify.verify_entry` needs only an entry, a proof, a checkpoint and
  public keys. `audit.audit_log` (`govhub ledger verify`) streams the entries in chunks
  through a frontier of O(log n) hashes, re-deriving every leaf, stored subtree hash and
  checkpoint root and checking every signature with memory bounded by the chunk, and names
  the first index of each discrepancy.
* **Access** (`access.py`). Checkpoints, keys and proofs are public. Entry details are
  public for the kinds in `schemas.PUBLIC_KINDS`; other entries only for officials holding
  `ledger:read` whose division scope covers the entry's department (others get 404, as for
  a missing one).
"""
