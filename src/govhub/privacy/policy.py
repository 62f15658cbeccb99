"""Field policies: what happens to each column of a table on its way out of its owner's domain.

Personal columns are masked unless a policy says otherwise; clear text needs a legal basis.
`apply` transforms a whole Arrow table column by column with vectorized kernels, so the same
policy serves a single-record page and a million-row export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

import pyarrow as pa

from govhub.identity.codes import DivisionLevel
from govhub.privacy.detect import Finding
from govhub.privacy.generalize import age_band_array, date_array, division_array
from govhub.privacy.masking import MaskStyle, mask_array
from govhub.privacy.pseudonyms import pseudonymize_array


class Treatment(StrEnum):
    """What a policy does to a column."""

    CLEAR = "clear"
    MASK = "mask"
    PSEUDONYMIZE = "pseudonymize"
    GENERALIZE = "generalize"
    DROP = "drop"


class Generalization(StrEnum):
    """The coarser classes a column can be generalized to."""

    AGE_BAND = "age_band"
    MONTH = "month"
    YEAR = "year"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"


class PolicyError(ValueError):
    """A policy that cannot be applied as written."""


@dataclass(frozen=True, slots=True)
class FieldPolicy:
    """The treatment of one column, with its parameters."""

    treatment: Treatment
    mask_style: MaskStyle = MaskStyle.FULL
    generalization: Generalization | None = None
    legal_basis: str = ""

    def __post_init__(self) -> None:
        if self.treatment is Treatment.GENERALIZE and self.generalization is None:
            raise PolicyError("a generalizing policy names the generalization")
        if self.treatment is Treatment.CLEAR and not self.legal_basis.strip():
            raise PolicyError("clear text of a personal field needs a legal basis")


def default_policies(findings: Iterable[Finding]) -> dict[str, FieldPolicy]:
    """Mask every flagged personal column in the style of its category."""
    return {f.column: FieldPolicy(Treatment.MASK, mask_style=f.mask_style) for f in findings}


def apply(
    table: pa.Table,
    policies: Mapping[str, FieldPolicy],
    *,
    pseudonym_key: bytes | None = None,
    today: date | None = None,
) -> pa.Table:
    """Transform the columns of `table` that have a policy; columns without one pass unchanged."""
    unknown = sorted(set(policies) - set(table.column_names))
    if unknown:
        raise PolicyError(f"policies name columns the table lacks: {', '.join(unknown)}")
    on = today or datetime.now(UTC).date()
    for name, policy in policies.items():
        index = table.column_names.index(name)
        if policy.treatment is Treatment.DROP:
            table = table.remove_column(index)
            continue
        column = _transform(table.column(index), policy, pseudonym_key, on)
        if column is not None:
            table = table.set_column(index, pa.field(name, column.type), column)
    return table


def _transform(
    column: pa.ChunkedArray, policy: FieldPolicy, key: bytes | None, today: date
) -> pa.ChunkedArray | None:
    match policy.treatment:
        case Treatment.MASK:
            return mask_array(column, policy.mask_style)
        case Treatment.PSEUDONYMIZE:
            if key is None:
                raise PolicyError("pseudonymization needs the grant's key")
            return pseudonymize_array(column, key)
        case Treatment.GENERALIZE:
            return _generalize(column, policy.generalization, today)
        case _:
            return None


def _generalize(column: pa.ChunkedArray, to: Generalization | None, today: date) -> pa.ChunkedArray:
    if to is Generalization.AGE_BAND:
        return age_band_array(column, today)
    if to in (Generalization.MONTH, Generalization.YEAR):
        return date_array(column, to=to.value)
    if to is None:
        raise PolicyError("a generalizing policy names the generalization")
    return division_array(column, DivisionLevel(to.value))
