"""Detection of personal columns by mapping and by value shape, on realistic generated data."""

from __future__ import annotations

import pyarrow as pa
import pytest
from faker import Faker

from govhub.privacy.detect import (
    Finding,
    PiiCategory,
    detect,
    detect_column,
    looks_like_address,
    looks_like_name,
)
from govhub.privacy.masking import MaskStyle


@pytest.fixture(scope="module")
def register() -> pa.Table:
    fake = Faker("zh_CN")
    fake.seed_instance(2026)
    n = 400
    return pa.table(
        {
            "xm": [fake.name() for _ in range(n)],
            "sfzh": [fake.ssn() for _ in range(n)],
            "lxdh": [fake.phone_number() for _ in range(n)],
            "zz": [fake.address() for _ in range(n)],
            "email": [fake.email() for _ in range(n)],
            "company": [fake.company() for _ in range(n)],
            "city": [fake.city() for _ in range(n)],
            "job": [fake.job() for _ in range(n)],
            "amount": [str(fake.random_int()) for _ in range(n)],
        }
    )


class TestByValues:
    def test_flags_exactly_the_personal_columns(self, register: pa.Table) -> None:
        found = {f.column: f.category for f in detect(register)}
        assert found == {
            "xm": PiiCategory.NAME,
            "sfzh": PiiCategory.ID_NUMBER,
            "lxdh": PiiCategory.MOBILE,
            "zz": PiiCategory.ADDRESS,
            "email": PiiCategory.EMAIL,
        }

    def test_findings_carry_the_share_and_default_mask(self, register: pa.Table) -> None:
        ids = next(f for f in detect(register) if f.column == "sfzh")
        assert ids.share == 1.0
        assert not ids.by_mapping
        assert ids.mask_style is MaskStyle.ID_NUMBER

    def test_a_column_with_few_personal_values_is_not_flagged(self) -> None:
        values = ["13812345678"] + ["n/a"] * 9
        assert detect_column("note", values) is None

    def test_empty_columns_are_not_flagged(self) -> None:
        assert detect_column("blank", [None, "", "  "]) is None


class TestByMapping:
    def test_a_mapped_personal_element_is_flagged_even_without_values(self) -> None:
        finding = detect_column("contact", [None], "mobile")
        assert finding == Finding("contact", PiiCategory.MOBILE, 0.0, by_mapping=True)

    def test_a_mapping_agrees_with_values(self, register: pa.Table) -> None:
        found = detect(register, {"sfzh": "id_number", "company": "uscc"})
        ids = next(f for f in found if f.column == "sfzh")
        assert ids.by_mapping
        assert ids.share == 1.0
        assert "company" not in {f.column for f in found}


class TestHeuristics:
    @pytest.mark.parametrize("value", ["王伟", "李秀英", "欧阳娜娜", "司马懿"])
    def test_names(self, value: str) -> None:
        assert looks_like_name(value)

    @pytest.mark.parametrize("value", ["杭州", "有限公司", "A张三", "王", "欧阳"])
    def test_not_names(self, value: str) -> None:
        assert not looks_like_name(value)

    def test_addresses(self) -> None:
        assert looks_like_address("浙江省杭州市西湖区文三路90号")
        assert not looks_like_address("杭州市")
        assert not looks_like_address("西湖龙井")
