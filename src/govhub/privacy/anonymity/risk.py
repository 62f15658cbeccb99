"""Re-identification risk of a release under ARX's three attacker models.

- Prosecutor: the attacker knows the person is in the release; a record's risk is 1/f, f the
  size of its equivalence class.
- Journalist: the attacker matches against the population; a record's risk is 1/F, F the size of
  its class in the population (from a population table, or estimated as f divided by the
  sampling fraction; without either, the release is taken as the population).
- Marketer: the attacker re-identifies as many records as possible; the expected share of
  records re-identified is (1/n) * sum over classes of f/F (the number of classes over n when
  the release is its own population).

For each model: the highest record risk, the average record risk, and the share of records
whose risk exceeds the threshold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from govhub.core.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ModelRisk:
    """The risk of one attacker model."""

    highest: float
    average: float
    records_at_risk: float  # share of records with a risk above the threshold


@dataclass(frozen=True)
class RiskReport:
    """Prosecutor, journalist and marketer risk of a release."""

    threshold: float
    prosecutor: ModelRisk
    journalist: ModelRisk
    marketer: ModelRisk
    journalist_basis: Literal["population", "sample fraction", "release"]

    @property
    def highest(self) -> float:
        """Return the highest record risk over the models."""
        return max(self.prosecutor.highest, self.journalist.highest)

    def as_dict(self) -> dict[str, object]:
        """Return the report as JSON-ready data."""
        return asdict(self)


def assess(
    sample_sizes: FloatArray,
    *,
    threshold: float = 0.2,
    population_sizes: FloatArray | None = None,
    sample_fraction: float | None = None,
) -> RiskReport:
    """Return the risks of a release whose equivalence classes have the given sizes."""
    if not 0 < threshold <= 1:
        raise InvalidInput("the risk threshold lies in (0, 1]", field="threshold")
    f = np.asarray(sample_sizes, dtype=np.float64)
    f = f[f > 0]
    basis: Literal["population", "sample fraction", "release"] = "release"
    if population_sizes is not None:
        population = np.asarray(population_sizes, dtype=np.float64)
        if population.shape != np.asarray(sample_sizes).shape:
            raise InvalidInput("one population size per equivalence class is needed")
        big = np.maximum(population[np.asarray(sample_sizes) > 0], f)
        basis = "population"
    elif sample_fraction is not None:
        if not 0 < sample_fraction <= 1:
            raise InvalidInput("the sampling fraction lies in (0, 1]", field="sample_fraction")
        big = np.maximum(np.ceil(f / sample_fraction - 1e-9), f)
        basis = "sample fraction"
    else:
        big = f
    n = float(f.sum())
    if n == 0:
        empty = ModelRisk(0.0, 0.0, 0.0)
        return RiskReport(threshold, empty, empty, empty, basis)
    prosecutor = _model(f, f, n, threshold)
    journalist = _model(f, big, n, threshold)
    expected = float((f / big).sum() / n)
    marketer = ModelRisk(expected, expected, 1.0 if expected > threshold else 0.0)
    return RiskReport(threshold, prosecutor, journalist, marketer, basis)


def _model(f: FloatArray, big: FloatArray, n: float, threshold: float) -> ModelRisk:
    risk = 1.0 / big
    return ModelRisk(
        highest=float(risk.max()),
        average=float((f * risk).sum() / n),
        records_at_risk=float(f[risk > threshold + 1e-12].sum() / n),
    )
