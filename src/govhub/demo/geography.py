"""The demo province's administrative divisions: real names and codes down to the township.

浙江省 with three real cities and three real districts or counties each (GB/T 2260 codes).
Township codes follow the GB/T 10114 ranges (subdistricts 001-099, towns 100-199) and village
codes the same habit one level down (communities 001-199, villages 200-399). Township names
are real; community and village names are drawn from a pool of plausible place words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from govhub.identity.codes import DivisionLevel

PROVINCE_CODE = "330000"
PROVINCE_NAME = "浙江省"
PROVINCE_SLUG = "zj"
TOWNSHIPS_WITH_FOUR_VILLAGES = 10


@dataclass(frozen=True, slots=True)
class DivisionSeed:
    """One division of the demo province."""

    code: str
    name: str
    name_en: str
    level: DivisionLevel
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class County:
    """A real district, county or county-level city of a demo city."""

    code: str
    name: str
    name_en: str
    slug: str
    townships: tuple[tuple[str, str], ...]

    @property
    def short_name(self) -> str:
        """The name without its 区/县/市 suffix (上城区 -> 上城)."""
        return self.name[:-1]

    @property
    def is_district(self) -> bool:
        """Tell whether this is a city district (区) rather than a county or county-level city."""
        return self.name.endswith("区")


@dataclass(frozen=True, slots=True)
class City:
    """A real prefecture-level city of the demo province."""

    code: str
    name: str
    name_en: str
    slug: str
    counties: tuple[County, ...]

    @property
    def short_name(self) -> str:
        """The name without 市 (杭州市 -> 杭州)."""
        return self.name[:-1]


CITIES: tuple[City, ...] = (
    City(
        "330100",
        "杭州市",
        "Hangzhou",
        "hz",
        (
            County(
                "330102",
                "上城区",
                "Shangcheng District",
                "sc",
                (
                    ("清波街道", "Qingbo"),
                    ("湖滨街道", "Hubin"),
                    ("小营街道", "Xiaoying"),
                    ("南星街道", "Nanxing"),
                ),
            ),
            County(
                "330106",
                "西湖区",
                "Xihu District",
                "xh",
                (
                    ("北山街道", "Beishan"),
                    ("西溪街道", "Xixi"),
                    ("灵隐街道", "Lingyin"),
                    ("转塘街道", "Zhuantang"),
                ),
            ),
            County(
                "330127",
                "淳安县",
                "Chun'an County",
                "ca",
                (("千岛湖镇", "Qiandaohu"), ("文昌镇", "Wenchang"), ("石林镇", "Shilin")),
            ),
        ),
    ),
    City(
        "330200",
        "宁波市",
        "Ningbo",
        "nb",
        (
            County(
                "330203",
                "海曙区",
                "Haishu District",
                "hs",
                (("南门街道", "Nanmen"), ("鼓楼街道", "Gulou"), ("白云街道", "Baiyun")),
            ),
            County(
                "330212",
                "鄞州区",
                "Yinzhou District",
                "yz",
                (("钟公庙街道", "Zhonggongmiao"), ("首南街道", "Shounan"), ("姜山镇", "Jiangshan")),
            ),
            County(
                "330225",
                "象山县",
                "Xiangshan County",
                "xs",
                (("丹东街道", "Dandong"), ("石浦镇", "Shipu"), ("西周镇", "Xizhou")),
            ),
        ),
    ),
    City(
        "330300",
        "温州市",
        "Wenzhou",
        "wz",
        (
            County(
                "330302",
                "鹿城区",
                "Lucheng District",
                "lc",
                (
                    ("五马街道", "Wuma"),
                    ("松台街道", "Songtai"),
                    ("南汇街道", "Nanhui"),
                    ("七都街道", "Qidu"),
                ),
            ),
            County(
                "330381",
                "瑞安市",
                "Rui'an City",
                "ra",
                (("安阳街道", "Anyang"), ("玉海街道", "Yuhai"), ("塘下镇", "Tangxia")),
            ),
            County(
                "330324",
                "永嘉县",
                "Yongjia County",
                "yj",
                (("北城街道", "Beicheng"), ("瓯北街道", "Oubei"), ("桥头镇", "Qiaotou")),
            ),
        ),
    ),
)

PLACE_WORDS = (
    "东园",
    "西塘",
    "南山",
    "北岸",
    "新桥",
    "长乐",
    "和平",
    "清泰",
    "望江",
    "凤凰",
    "柳营",
    "金沙",
    "石桥",
    "梅林",
    "枫林",
    "竹溪",
    "荷花",
    "青山",
    "白沙",
    "双溪",
    "后岸",
    "前洋",
    "上塘",
    "下宅",
    "湖东",
    "江南",
    "云溪",
    "桃源",
    "龙泉",
    "溪口",
    "紫阳",
    "春江",
    "明珠",
    "丰收",
    "兴隆",
    "永安",
    "福田",
    "瑞丰",
    "华丰",
    "安澜",
    "学士",
    "文苑",
    "朝晖",
    "翠苑",
    "杨柳",
    "桂花",
    "茶园",
    "秀水",
)


def all_counties() -> list[tuple[City, County]]:
    """Return every demo county with its city, in code order."""
    return [(city, county) for city in CITIES for county in city.counties]


def county_codes() -> list[str]:
    """Return the codes of the nine demo counties."""
    return [county.code for _, county in all_counties()]


def _townships(county: County) -> list[DivisionSeed]:
    seeds: list[DivisionSeed] = []
    next_number = {"街道": 1, "镇": 100}
    for name, name_en in county.townships:
        kind = "街道" if name.endswith("街道") else "镇"
        number = next_number[kind]
        next_number[kind] += 1
        label = "Subdistrict" if kind == "街道" else "Town"
        seeds.append(
            DivisionSeed(
                code=f"{county.code}{number:03d}",
                name=name,
                name_en=f"{name_en} {label}",
                level=DivisionLevel.TOWNSHIP,
                parent_code=county.code,
            )
        )
    return seeds


def _villages(township: DivisionSeed, count: int, rng: random.Random) -> list[DivisionSeed]:
    """Name `count` communities or villages of a township: subdistricts hold only communities;
    a town's seat is a community and the rest are villages."""
    words = rng.sample(PLACE_WORDS, count)
    is_subdistrict = township.name.endswith("街道")
    base = township.name_en.rsplit(" ", 1)[0]
    seeds: list[DivisionSeed] = []
    for position, word in enumerate(words):
        if is_subdistrict or position == 0:
            number, name, label = position + 1, f"{word}社区", "Community"
        else:
            number, name, label = 200 + position, f"{word}村", "Village"
        seeds.append(
            DivisionSeed(
                code=f"{township.code}{number:03d}",
                name=name,
                name_en=f"{base} {label} {position + 1}",
                level=DivisionLevel.VILLAGE,
                parent_code=township.code,
            )
        )
    return seeds


def build_divisions(rng: random.Random) -> list[DivisionSeed]:
    """Return the province, its cities, counties, 30 townships and 100 villages, parents first."""
    seeds = [
        DivisionSeed(
            PROVINCE_CODE, PROVINCE_NAME, "Zhejiang Province", DivisionLevel.PROVINCE, None
        )
    ]
    for city in CITIES:
        seeds.append(
            DivisionSeed(city.code, city.name, city.name_en, DivisionLevel.CITY, PROVINCE_CODE)
        )
    townships: list[DivisionSeed] = []
    for city, county in all_counties():
        seeds.append(
            DivisionSeed(county.code, county.name, county.name_en, DivisionLevel.COUNTY, city.code)
        )
        townships.extend(_townships(county))
    seeds.extend(townships)
    larger = set(rng.sample(range(len(townships)), TOWNSHIPS_WITH_FOUR_VILLAGES))
    for position, township in enumerate(townships):
        seeds.extend(_villages(township, 4 if position in larger else 3, rng))
    return seeds
