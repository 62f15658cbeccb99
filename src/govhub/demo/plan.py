"""The whole demo province as plain data, generated deterministically from a seed.

Each kind of row draws from its own seeded stream (`random.Random` and a zh_CN `Faker`), so
changing the number of citizens leaves the divisions, departments, officials and enterprises
exactly as they were.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from faker import Faker

from govhub.demo.departments import (
    DepartmentSeed,
    OfficialSeed,
    build_departments,
    build_officials,
)
from govhub.demo.geography import DivisionSeed, build_divisions
from govhub.demo.people import CitizenSeed, EnterpriseSeed, build_citizens, build_enterprises

DEFAULT_SEED = 2026
DEFAULT_CITIZENS = 10_000
DEFAULT_ENTERPRISES = 2_000


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """Every row of the demo province, parents before children."""

    seed: int
    divisions: tuple[DivisionSeed, ...]
    departments: tuple[DepartmentSeed, ...]
    officials: tuple[OfficialSeed, ...]
    citizens: tuple[CitizenSeed, ...]
    enterprises: tuple[EnterpriseSeed, ...]


def _streams(seed: int, name: str) -> tuple[random.Random, Faker]:
    label = f"govhub-demo:{seed}:{name}"
    fake = Faker("zh_CN")
    fake.seed_instance(label)
    return random.Random(label), fake  # noqa: S311 - demo data, not secrets


def build_plan(
    *,
    seed: int = DEFAULT_SEED,
    citizens: int = DEFAULT_CITIZENS,
    enterprises: int = DEFAULT_ENTERPRISES,
) -> DemoPlan:
    """Generate the demo province for `seed` with the given numbers of citizens and enterprises."""
    if citizens < 1 or enterprises < 1:
        raise ValueError("the demo needs at least one citizen and one enterprise")
    geography_rng, _ = _streams(seed, "geography")
    staff_rng, staff_fake = _streams(seed, "officials")
    departments = build_departments(staff_rng)
    citizen_rng, citizen_fake = _streams(seed, "citizens")
    enterprise_rng, enterprise_fake = _streams(seed, "enterprises")
    return DemoPlan(
        seed=seed,
        divisions=tuple(build_divisions(geography_rng)),
        departments=tuple(departments),
        officials=tuple(build_officials(departments, staff_rng, staff_fake)),
        citizens=tuple(build_citizens(citizens, citizen_rng, citizen_fake)),
        enterprises=tuple(build_enterprises(enterprises, enterprise_rng, enterprise_fake)),
    )
