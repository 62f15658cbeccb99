"""Demo residents and enterprises: seeded names, valid ID numbers and credit codes."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from faker import Faker

from govhub.demo.geography import all_counties, county_codes
from govhub.demo.identifiers import make_id_number, make_uscc

CITIZEN_USERNAME = "citizen"
ENTERPRISE_USERNAME = "enterprise"
INDIVIDUAL_BUSINESS_SHARE = 0.15
NAME_ATTEMPTS = 10
INDUSTRIES = (
    "科技",
    "网络",
    "信息",
    "贸易",
    "餐饮管理",
    "建设工程",
    "物流",
    "服饰",
    "电子商务",
    "食品",
    "机械制造",
    "文化传媒",
    "环保科技",
    "医疗器械",
    "教育咨询",
    "农业开发",
    "新材料",
    "汽车服务",
)
SHOP_KINDS = (
    "便利店",
    "小吃店",
    "五金店",
    "理发店",
    "水果店",
    "服装店",
    "茶叶店",
    "早餐店",
    "面馆",
    "药店",
)


@dataclass(frozen=True, slots=True)
class CitizenSeed:
    """A demo resident; the ID number is kept here in clear only until it is stored encrypted."""

    id: uuid.UUID
    username: str
    display_name: str
    id_number: str


@dataclass(frozen=True, slots=True)
class EnterpriseSeed:
    """A demo enterprise or individual business registered in a demo county."""

    id: uuid.UUID
    username: str
    display_name: str
    uscc: str


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _username(base: str, position: int) -> str:
    return base if position == 0 else f"{base}-{position:05d}"


def build_citizens(count: int, rng: random.Random, fake: Faker) -> list[CitizenSeed]:
    """Return `count` residents of the demo counties with distinct, valid ID numbers.

    The first `n` residents are the same for any larger count, so a bigger load extends a
    smaller one.
    """
    counties = county_codes()
    seen: set[str] = set()
    citizens: list[CitizenSeed] = []
    for position in range(count):
        male = rng.random() < 0.5
        id_number = make_id_number(rng, division_code=rng.choice(counties), male=male)
        while id_number in seen:
            id_number = make_id_number(rng, division_code=rng.choice(counties), male=male)
        seen.add(id_number)
        name = fake.name_male() if male else fake.name_female()
        citizens.append(
            CitizenSeed(_uuid(rng), _username(CITIZEN_USERNAME, position), name, id_number)
        )
    return citizens


def _enterprise_name(rng: random.Random, fake: Faker) -> tuple[str, str, str]:
    """Return a name, the registering county's code and the USCC category ('1' company,
    '2' individual business)."""
    city, county = rng.choice(all_counties())
    if rng.random() < INDIVIDUAL_BUSINESS_SHARE:
        place = f"{city.name}{county.name}" if county.is_district else county.name
        return f"{place}{fake.last_name()}记{rng.choice(SHOP_KINDS)}", county.code, "2"
    place = rng.choice((city.short_name, county.short_name))
    name = f"{place}{fake.company_prefix()}{rng.choice(INDUSTRIES)}有限公司"
    return name, county.code, "1"


def build_enterprises(count: int, rng: random.Random, fake: Faker) -> list[EnterpriseSeed]:
    """Return `count` enterprises with distinct valid credit codes and (mostly) distinct names."""
    codes: set[str] = set()
    names: set[str] = set()
    enterprises: list[EnterpriseSeed] = []
    for position in range(count):
        name, county_code, category = _enterprise_name(rng, fake)
        for _ in range(NAME_ATTEMPTS):  # names are not keys: past the attempts a repeat is kept
            if name not in names:
                break
            name, county_code, category = _enterprise_name(rng, fake)
        names.add(name)
        uscc = make_uscc(rng, division_code=county_code, category=category)
        while uscc in codes:
            uscc = make_uscc(rng, division_code=county_code, category=category)
        codes.add(uscc)
        enterprises.append(
            EnterpriseSeed(_uuid(rng), _username(ENTERPRISE_USERNAME, position), name, uscc)
        )
    return enterprises
