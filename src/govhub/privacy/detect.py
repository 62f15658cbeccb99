"""Detection of personal data in a table: by the data element a column is mapped to, and by
the shape of its values (ID numbers with a valid check digit, mobile and landline numbers,
e-mail addresses, Chinese personal names, street addresses).

A column is flagged when its mapping names a personal element, or when at least
`MIN_SHARE` of its non-empty sampled values look personal. Names and addresses are recognised
by heuristics (a common surname followed by one to three characters; administrative and street
markers), so a finding carries the share of values that matched for a person to judge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

from govhub.data.standards.validators import is_id_number, is_landline, is_mobile
from govhub.privacy.masking import MaskStyle

MIN_SHARE = 0.6
SAMPLE_ROWS = 1000


class PiiCategory(StrEnum):
    """Kinds of personal data the platform recognises."""

    ID_NUMBER = "id_number"
    MOBILE = "mobile"
    LANDLINE = "landline"
    EMAIL = "email"
    NAME = "name"
    ADDRESS = "address"


# The most common single-character surnames (about 85% of the population) and compound ones.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9\-]{1,63}(\.[A-Za-z0-9\-]{1,63})+")
_ADDRESS_MARKERS = re.compile(r"(省|市|区|县|镇|乡|街道|村|路|街|大道|巷|弄|号|栋|幢|室|单元)")

MASK_STYLE: dict[PiiCategory, MaskStyle] = {
    PiiCategory.ID_NUMBER: MaskStyle.ID_NUMBER,
    PiiCategory.MOBILE: MaskStyle.MOBILE,
    PiiCategory.LANDLINE: MaskStyle.PHONE,
    PiiCategory.EMAIL: MaskStyle.EMAIL,
    PiiCategory.NAME: MaskStyle.NAME,
    PiiCategory.ADDRESS: MaskStyle.ADDRESS,
}
ELEMENT_CATEGORY: dict[str, PiiCategory] = {
    "id_number": PiiCategory.ID_NUMBER,
    "mobile": PiiCategory.MOBILE,
    "landline": PiiCategory.LANDLINE,
    "email": PiiCategory.EMAIL,
    "chinese_name": PiiCategory.NAME,
}


def looks_like_name(value: str) -> bool:
    """Tell whether `value` looks like a Chinese personal name (surname plus 1-3 characters)."""
    if not 2 <= len(value) <= 4 or _CJK.fullmatch(value) is None:
        return False
    if value[:2] in COMPOUND_SURNAMES:
        return len(value) >= 3
    return value[0] in SURNAMES


def looks_like_address(value: str) -> bool:
    """Tell whether `value` looks like a street address (two or more place markers)."""
    return len(value) >= 6 and len(_ADDRESS_MARKERS.findall(value)) >= 2


def looks_like_email(value: str) -> bool:
    """Tell whether `value` has the shape of an e-mail address."""
    return _EMAIL.fullmatch(value) is not None


VALUE_TESTS: dict[PiiCategory, Callable[[str], bool]] = {
    PiiCategory.ID_NUMBER: is_id_number,
    PiiCategory.MOBILE: is_mobile,
    PiiCategory.LANDLINE: is_landline,
    PiiCategory.EMAIL: looks_like_email,
    PiiCategory.NAME: looks_like_name,
    PiiCategory.ADDRESS: looks_like_address,
}


@dataclass(frozen=True, slots=True)
class Finding:
    """A column that holds personal data, why it was flagged, and how to mask it by default."""

    column: str
    category: PiiCategory
    share: float
    by_mapping: bool

    @property
    def mask_style(self) -> MaskStyle:
        """The masking style used for this column unless a grant says otherwise."""
        return MASK_STYLE[self.category]


def detect_column(
    column: str, samples: Sequence[object], element_code: str | None = None
) -> Finding | None:
    """Flag one column from its mapped element or its sampled values (None if not personal)."""
    present = [str(s) for s in samples if s is not None and str(s).strip()]
    best: tuple[float, PiiCategory] | None = None
    if present:
        for category, test in VALUE_TESTS.items():
            share = sum(1 for value in present if test(value)) / len(present)
            if share >= MIN_SHARE and (best is None or share > best[0]):
                best = (share, category)
    if element_code in ELEMENT_CATEGORY:
        category = ELEMENT_CATEGORY[element_code]
        share = best[0] if best is not None and best[1] is category else 0.0
        return Finding(column, category, round(share, 4), by_mapping=True)
    if best is None:
        return None
    return Finding(column, best[1], round(best[0], 4), by_mapping=False)


def detect(table: pa.Table, mapping: Mapping[str, str] | None = None) -> list[Finding]:
    """Flag the personal columns of a table from the first rows and the column-to-element map."""
    mapping = mapping or {}
    head = table.slice(0, SAMPLE_ROWS)
    findings = []
    for name in table.column_names:
        finding = detect_column(name, head.column(name).to_pylist(), mapping.get(name))
        if finding is not None:
            findings.append(finding)
    return findings
