"""De-identification for open-data releases: generalization hierarchies, privacy criteria
(k-anonymity, l-diversity, t-closeness), an optimal search over the generalization lattice,
re-identification risk and a release report."""

from govhub.privacy.anonymity.hierarchies import Hierarchy
from govhub.privacy.anonymity.lattice import Lattice, exhaustive_search, search
from govhub.privacy.anonymity.models import (
    Criterion,
    DistinctLDiversity,
    EntropyLDiversity,
    KAnonymity,
    RecursiveCLDiversity,
    TCloseness,
)
from govhub.privacy.anonymity.release import Release, ReleaseReport, anonymize, apply
from govhub.privacy.anonymity.risk import RiskReport, assess

__all__ = [
    "Criterion",
    "DistinctLDiversity",
    "EntropyLDiversity",
    "Hierarchy",
    "KAnonymity",
    "Lattice",
    "RecursiveCLDiversity",
    "Release",
    "ReleaseReport",
    "RiskReport",
    "TCloseness",
    "anonymize",
    "apply",
    "assess",
    "exhaustive_search",
    "search",
]
