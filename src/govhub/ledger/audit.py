"""The full audit behind `govhub ledger verify`: re-derive the log from its entries, streaming.

Entries are read in chunks of `chunk` by index. Their leaves go into a `merkle.Frontier` (the
O(log n) hashes of the tree's right edge), which yields every subtree hash a leaf completes
and the root at any size. So memory stays bounded by the chunk, whatever the log's size:

* each entry's fields are hashed again and compared with its stored leaf hash;
* the subtree hashes completed within a chunk are compared with the stored ones whose
  subtrees end in that chunk (one query per chunk, by primary-key ranges);
* when the tree reaches the size of a stored checkpoint, its root is compared with the
  checkpoint's, whose platform signature and cosignatures are checked too;
* stored subtree hashes outside the re-derived tree are found by one query at the end.

Every discrepancy is reported with the first entry index it concerns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from govhub.ledger import merkle, proofs
from govhub.ledger.checkpoint import NoteError, NoteVerifier, open_checkpoint
from govhub.ledger.cosigning import witness_verifier
from govhub.ledger.leaves import leaf_data
from govhub.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerNode, LedgerWitness
from govhub.ledger.signing import log_verifier

CHUNK = 10_000
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Finding:
    """One discrepancy: the first entry index it concerns (if any) and what is wrong."""

    index: int | None
    message: str

    def __str__(self) -> str:
        where = f"index {self.index}" if self.index is not None else "log"
        return f"{where}: {self.message}"


@dataclass
class AuditReport:
    """The outcome of `audit_log`."""

    tree_size: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether nothing was found."""
        return not self.findings


_ENTRY_FIELDS = (
    LedgerEntry.log_index,
    LedgerEntry.kind,
    LedgerEntry.actor,
    LedgerEntry.subject,
    LedgerEntry.department_id,
    LedgerEntry.payload_digest,
    LedgerEntry.recorded_at,
    LedgerEntry.leaf_hash,
)


def _entry_chunks(session: Session, chunk: int) -> Iterator[list[Any]]:
    """Yield the entries by index, `chunk` rows per query (keyset pagination)."""
    after: int | None = None
    while True:
        query = select(*_ENTRY_FIELDS).order_by(LedgerEntry.log_index).limit(chunk)
        if after is not None:
            query = query.where(LedgerEntry.log_index > after)
        rows = list(session.execute(query))
        if not rows:
            return
        yield rows
        after = rows[-1].log_index


def _checkpoints(session: Session, page: int = 1_000) -> Iterator[LedgerCheckpoint]:
    """Yield the stored checkpoints by tree size, a page at a time."""
    after = -1
    while True:
        query = (
            select(LedgerCheckpoint)
            .where(LedgerCheckpoint.tree_size > after)
            .order_by(LedgerCheckpoint.tree_size)
            .limit(page)
        )
        rows = list(session.scalars(query))
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].tree_size


def _stored_nodes(session: Session, lo: int, hi: int) -> dict[merkle.NodeId, bytes]:
    """Return the stored subtree hashes whose subtrees end at a leaf in `[lo, hi)`."""
    ranges = []
    level = 1
    while (1 << level) <= hi:
        first = ((lo + 1 + (1 << level) - 1) >> level) - 1  # ceil((lo + 1) / 2^level) - 1
        last = (hi >> level) - 1
        if first <= last:
            ranges.append(and_(LedgerNode.level == level, LedgerNode.position.between(first, last)))
        level += 1
    if not ranges:
        return {}
    rows = session.execute(
        select(LedgerNode.level, LedgerNode.position, LedgerNode.hash).where(or_(*ranges))
    )
    return {(int(lv), int(pos)): bytes(digest) for lv, pos, digest in rows}


class _Auditor:
    """The state of one audit: the frontier, the next checkpoint, the report."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.report = AuditReport()
        self.frontier = merkle.Frontier()
        self.broken = False
        self.log = log_verifier()
        self.witnesses: tuple[NoteVerifier, ...] = tuple(
            witness_verifier(w) for w in session.scalars(select(LedgerWitness))
        )
        self.checkpoints = _checkpoints(session)
        self.next_checkpoint = next(self.checkpoints, None)
        self.latest = -1

    def find(self, index: int | None, message: str) -> None:
        self.report.findings.append(Finding(index, message))

    def checkpoints_at(self, size: int) -> None:
        """Check every stored checkpoint of a tree size up to `size` (the tree's current)."""
        while self.next_checkpoint is not None and self.next_checkpoint.tree_size <= size:
            self.check_checkpoint(
                self.next_checkpoint, reached=self.next_checkpoint.tree_size == size
            )
            self.next_checkpoint = next(self.checkpoints, None)

    def check_checkpoint(self, row: LedgerCheckpoint, *, reached: bool) -> None:
        report = self.report
        report.checkpoints += 1
        self.latest = row.tree_size
        try:
            body, _, _ = open_checkpoint(row.note, self.log)
        except NoteError as exc:
            self.find(None, f"checkpoint {row.tree_size}: {exc}")
            return
        if body.size != row.tree_size or body.root != row.root_hash:
            self.find(None, f"checkpoint {row.tree_size}: row and note differ")
        if not reached:
            self.find(self.frontier.size, f"checkpoint {body.size}: entries missing")
        elif body.size == row.tree_size and self.frontier.root() != body.root:
            self.find(None, f"checkpoint {body.size}: root does not match the entries")
        text = proofs.checkpoint_text(self.session, row)
        try:
            _, _, cosigners = open_checkpoint(text, self.log, witnesses=self.witnesses)
        except NoteError as exc:  # pragma: no cover - the platform signature was checked above
            self.find(None, f"checkpoint {row.tree_size}: {exc}")
            return
        report.cosignatures += len(cosigners)
        if len(cosigners) != text.count("\n\u2014 ") - 1:
            self.find(None, f"checkpoint {row.tree_size}: a cosignature does not verify")

    def entries(self, rows: list[Any]) -> None:
        """Re-derive one chunk of entries and compare its leaves and subtree hashes."""
        lo = self.frontier.size
        computed: dict[merkle.NodeId, bytes] = {}
        for row in rows:
            index = row.log_index
            if index != self.frontier.size and not self.broken:
                what = "is missing" if index > self.frontier.size else "is duplicated"
                self.find(self.frontier.size, f"entry {what} (next stored: {index})")
                self.broken = True
            leaf = merkle.leaf_hash(
                leaf_data(
                    index=index,
                    kind=row.kind,
                    actor=row.actor,
                    subject=row.subject,
                    department_id=row.department_id,
                    payload_digest=row.payload_digest,
                    recorded_at=row.recorded_at,
                )
            )
            if leaf != row.leaf_hash:
                self.find(index, "entry content does not match its leaf hash")
            if not self.broken:
                computed.update(self.frontier.append(leaf))
                self.checkpoints_at(self.frontier.size)
        if self.frontier.size > lo:
            self.compare_nodes(computed, _stored_nodes(self.session, lo, self.frontier.size))

    def compare_nodes(
        self, computed: dict[merkle.NodeId, bytes], stored: dict[merkle.NodeId, bytes]
    ) -> None:
        for key in sorted(computed, key=lambda k: (k[1] << k[0], k[0])):
            found = stored.get(key)
            if found is None:
                self.find(key[1] << key[0], f"subtree hash {key} is missing")
            elif found != computed[key]:
                self.find(key[1] << key[0], f"subtree hash {key} does not match")

    def outside_nodes(self) -> None:
        """Report stored subtree hashes that lie outside the re-derived tree."""
        size = self.frontier.size
        level, position = LedgerNode.level, LedgerNode.position
        query = (
            select(level, position)
            .where(
                or_(
                    level < 1,
                    level > 62,
                    position < 0,
                    ((position + 1).op("<<")(level)) > size,
                )
            )
            .order_by(level, position)
        )
        for lv, pos in self.session.execute(query):
            first = pos << lv if 0 <= lv <= 62 and pos >= 0 else None
            self.find(first, f"unexpected subtree hash {(lv, pos)}")

    def finish(self) -> AuditReport:
        self.checkpoints_at(self.frontier.size)
        while self.next_checkpoint is not None:
            self.check_checkpoint(self.next_checkpoint, reached=False)
            self.next_checkpoint = next(self.checkpoints, None)
        self.outside_nodes()
        if self.frontier.size > max(self.latest, 0):
            self.find(max(self.latest, 0), "entries not covered by any checkpoint")
        self.report.tree_size = self.frontier.size
        return self.report


def audit_log(
    session: Session, *, chunk: int = CHUNK, progress: Progress | None = None
) -> AuditReport:
    """Re-derive the tree from every entry, chunk by chunk; check every hash and signature.

    `progress(done, total)` is called after each chunk, `total` being the entries stored.
    """
    auditor = _Auditor(session)
    total = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    auditor.checkpoints_at(0)
    done = 0
    for rows in _entry_chunks(session, chunk):
        auditor.entries(rows)
        done += len(rows)
        if progress is not None:
            progress(done, total)
    return auditor.finish()
