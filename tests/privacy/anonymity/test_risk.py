"""Prosecutor, journalist and marketer risk, checked by hand."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from govhub.core.errors import InvalidInput
from govhub.privacy.anonymity import KAnonymity, anonymize, assess
from tests.privacy.anonymity.support import SMALL, close, small_hierarchies

SIZES = np.asarray([1.0, 2.0, 3.0, 4.0])


def test_prosecutor_risk() -> None:
    report = assess(SIZES, threshold=0.3)
    assert report.journalist_basis == "release"
    assert report.prosecutor.highest == 1.0
    assert close(report.prosecutor.average, 4 / 10)  # classes over records
    assert close(report.prosecutor.records_at_risk, 6 / 10)  # classes of 1, 2 and 3
    assert report.journalist == report.prosecutor
    assert close(report.marketer.average, 0.4)
    assert report.highest == 1.0


def test_journalist_risk_from_a_sample_fraction() -> None:
    report = assess(SIZES, threshold=0.3, sample_fraction=0.5)
    assert report.journalist_basis == "sample fraction"
    assert report.journalist.highest == 0.5
    assert close(report.journalist.average, 0.2)
    assert close(report.journalist.records_at_risk, 0.1)
    assert close(report.marketer.highest, 0.2)
    assert report.marketer.records_at_risk == 0.0


def test_journalist_risk_from_population_sizes() -> None:
    report = assess(SIZES, threshold=0.3, population_sizes=np.asarray([1.0, 10, 3, 40]))
    assert report.journalist.highest == 1.0
    assert close(report.journalist.average, (1 + 0.2 + 1 + 0.1) / 10)
    assert close(report.journalist.records_at_risk, 0.4)


def test_journalist_risk_from_a_population_table() -> None:
    extra = pa.table(
        {
            "age": [23, 25, 36, 45],
            "sex": ["M"] * 4,
            "disease": ["flu"] * 4,
            "name": ["x"] * 4,
        }
    )
    population = pa.concat_tables([SMALL, extra])
    release = anonymize(SMALL, small_hierarchies(), [KAnonymity(2)], population=population)
    risk = release.report.risk
    assert risk.journalist_basis == "population"
    assert risk.journalist.highest == 0.25  # F: 4 of the population
    assert close(risk.journalist.average, (4 / 8 + 4 / 4) / 8)
    assert risk.prosecutor.highest == 0.25


def test_bad_risk_parameters() -> None:
    with pytest.raises(InvalidInput, match="threshold"):
        assess(SIZES, threshold=0)
    with pytest.raises(InvalidInput, match="sampling fraction"):
        assess(SIZES, sample_fraction=1.5)
    with pytest.raises(InvalidInput, match="population size"):
        assess(SIZES, population_sizes=np.asarray([1.0]))
    empty = assess(np.asarray([0.0]))
    assert empty.prosecutor.highest == 0.0
