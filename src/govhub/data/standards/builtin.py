"""The platform-wide data elements GovHub ships, and how strongly their values identify them.

The migration `0003` writes these rows into `data_elements`; a test keeps the two in step, so
a change here needs a new migration. `value_weight` says how much a column whose sample values
pass the element's check looks like that element (a valid ID number is unmistakable; six
digits might be a postal code, a division code or anything else).
"""

from __future__ import annotations

from dataclasses import dataclass

from govhub.data.standards.models import ElementType


@dataclass(frozen=True, slots=True)
class BuiltinElement:
    """One shipped data element."""

    code: str
    name: str
    name_en: str
    data_type: ElementType
    validator: str | None
    max_length: int | None
    description: str
    synonyms: tuple[str, ...] = ()
    allowed_values: tuple[str, ...] | None = None
    value_weight: float = 0.5


BUILTIN_ELEMENTS: tuple[BuiltinElement, ...] = (
    BuiltinElement(
        "id_number", "公民身份号码", "Resident ID number", ElementType.STRING, "id_number", 18,
        "GB 11643-1999: 18 characters, ISO 7064 MOD 11-2 check digit.",
        ("身份证号", "身份证号码", "身份证", "公民身份号码", "证件号码", "sfzh", "sfzhm", "zjhm",
         "id_number", "id_no", "idcard", "id_card", "resident_id"),
        value_weight=0.95,
    ),
    BuiltinElement(
        "uscc", "统一社会信用代码", "Unified social credit code", ElementType.STRING, "uscc", 18,
        "GB 32100-2015: 18 characters, MOD 31 check character.",
        ("统一社会信用代码", "社会信用代码", "信用代码", "tyshxydm", "shxydm", "xydm", "uscc",
         "credit_code", "social_credit_code", "unified_social_credit_code"),
        value_weight=0.95,
    ),
    BuiltinElement(
        "division_code", "行政区划代码", "Administrative division code", ElementType.CODE,
        "division_code", 12,
        "GB/T 2260 down to villages; the code must exist on the platform.",
        ("行政区划代码", "区划代码", "行政区划", "xzqhdm", "qhdm", "xzqh", "division_code",
         "admin_code", "region_code", "area_code", "adcode"),
        value_weight=0.6,
    ),
    BuiltinElement(
        "mobile", "移动电话号码", "Mobile phone number", ElementType.STRING, "mobile", 11,
        "Eleven digits starting 13 to 19.",
        ("手机号", "手机号码", "移动电话", "联系电话", "sjhm", "sjh", "lxdh", "mobile", "phone",
         "mobile_phone", "cellphone", "tel"),
        value_weight=0.85,
    ),
    BuiltinElement(
        "landline", "固定电话号码", "Landline phone number", ElementType.STRING, "landline", 20,
        "Area code from 0, optional hyphen, 7 or 8 digits, optional extension.",
        ("固定电话", "座机", "办公电话", "gddh", "bgdh", "landline", "telephone", "office_phone"),
        value_weight=0.8,
    ),
    BuiltinElement(
        "postal_code", "邮政编码", "Postal code", ElementType.STRING, "postal_code", 6,
        "Six digits.",
        ("邮政编码", "邮编", "yzbm", "yb", "postal_code", "postcode", "zip", "zip_code"),
        value_weight=0.3,
    ),
    BuiltinElement(
        "gender_code", "性别代码", "Gender code", ElementType.CODE, "gender_code", 1,
        "GB/T 2261.1-2003: 0 unknown, 1 male, 2 female, 9 unspecified.",
        ("性别", "性别代码", "xb", "xbdm", "gender", "sex", "gender_code"),
        allowed_values=("0", "1", "2", "9"),
        value_weight=0.3,
    ),
    BuiltinElement(
        "date", "日期", "Date", ElementType.DATE, "date", 10,
        "GB/T 7408: YYYY-MM-DD or YYYYMMDD, a real calendar date.",
        ("日期", "出生日期", "成立日期", "登记日期", "rq", "csrq", "clrq", "djrq", "date",
         "birth_date", "birthday", "established_on", "registered_on"),
        value_weight=0.7,
    ),
    BuiltinElement(
        "datetime", "日期时间", "Date and time", ElementType.DATETIME, "datetime", 35,
        "ISO 8601 date and time; a space may separate date and time.",
        ("日期时间", "时间", "更新时间", "创建时间", "sj", "gxsj", "cjsj", "datetime", "timestamp",
         "updated_at", "created_at"),
        value_weight=0.8,
    ),
    BuiltinElement(
        "chinese_name", "中文姓名", "Name in Chinese", ElementType.STRING, "chinese_name", 40,
        "Hanzi; a middle dot joins the parts of a transliterated name.",
        ("姓名", "名字", "法定代表人", "法人代表", "联系人", "xm", "fddbr", "lxr", "name",
         "full_name", "person_name", "legal_representative"),
        value_weight=0.4,
    ),
    BuiltinElement(
        "email", "电子邮箱", "E-mail address", ElementType.STRING, "email", 254,
        "An address with a local part, @ and a domain.",
        ("电子邮箱", "邮箱", "电子邮件", "dzyx", "yx", "email", "e_mail", "mail"),
        value_weight=0.9,
    ),
    BuiltinElement(
        "amount", "金额", "Amount", ElementType.DECIMAL, "amount", 20,
        "An amount in yuan with at most two decimals.",
        ("金额", "注册资本", "税额", "费用", "je", "zczb", "se", "amount", "registered_capital",
         "tax_amount", "fee"),
        value_weight=0.3,
    ),
)  # fmt: skip

BUILTIN_BY_CODE = {element.code: element for element in BUILTIN_ELEMENTS}
