"""Bad-file reports: an `InvalidInput` with a reason and, where known, the line and column."""

from __future__ import annotations

from typing import Any

from govhub.core.errors import InvalidInput


class BadFile(InvalidInput):
    """A file that cannot become a dataset; `reason` says why in one word."""

    title = "Bad file"

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        extra: dict[str, Any] = {"reason": reason}
        if line is not None:
            extra["line"] = line
        if column is not None:
            extra["column"] = column
        super().__init__(detail, **extra)
        self.reason = reason
        if reason == "too_large":
            self.status = 413
        self.line = line
        self.column = column

    def describe(self) -> str:
        """Return the report as one line of text: detail, line and column."""
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        suffix = f" ({', '.join(where)})" if where else ""
        return f"{self.detail}{suffix} [{self.reason}]"
