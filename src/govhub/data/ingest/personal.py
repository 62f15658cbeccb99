"""Flag columns of a load that look personal while the catalog does not protect them."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from govhub.data.catalog.models import Resource
from govhub.privacy.detect import ELEMENT_CATEGORY, SAMPLE_ROWS, detect


def unprotected_personal(resource: Resource, parquet: Path) -> list[str]:
    """Return a warning for each column whose sampled values look personal but which the
    resource neither marks personal nor maps to a personal data element (grants would then
    hand it out in clear)."""
    source = pq.ParquetFile(parquet)
    if source.metadata.num_row_groups == 0:
        return []
    sample = source.read_row_group(0).slice(0, SAMPLE_ROWS)
    protected = {
        f["name"]
        for f in resource.fields
        if f.get("is_personal") or f.get("element_code") in ELEMENT_CATEGORY
    }
    return [
        f"column {finding.column!r} looks like personal data ({finding.category.value}, "
        f"{finding.share:.0%} of sampled values) but the catalog does not mark it personal; "
        "mark it so that grants mask it"
        for finding in detect(sample)
        if finding.column not in protected
    ]
