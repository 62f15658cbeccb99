"""Masking: presets, and the vectorized form agreeing with the per-value form."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govhub.privacy.masking import (
    MASK_CHAR,
    PER_VALUE_BELOW,
    MaskStyle,
    mask,
    mask_array,
    mask_id_number,
)


class TestPresets:
    @pytest.mark.parametrize(
        ("value", "style", "expected"),
        [
            ("33010619900101123X", MaskStyle.ID_NUMBER, "330106********123X"),
            ("13812345678", MaskStyle.MOBILE, "138****5678"),
            ("0571-87654321", MaskStyle.PHONE, "*********4321"),
            ("张三丰", MaskStyle.NAME, "张**"),
            ("欧阳娜娜", MaskStyle.NAME, "欧***"),
            ("zhang.san@example.cn", MaskStyle.EMAIL, "z***@example.cn"),
            ("浙江省杭州市西湖区文三路1号", MaskStyle.ADDRESS, "浙江省杭州市********"),
            ("secret", MaskStyle.FULL, "******"),
        ],
    )
    def test_keeps_only_what_the_style_allows(
        self, value: str, style: MaskStyle, expected: str
    ) -> None:
        assert mask(value, style) == expected

    def test_values_too_short_to_keep_anything_are_fully_masked(self) -> None:
        assert mask("1234", MaskStyle.ID_NUMBER) == "****"
        assert mask("not-an-email", MaskStyle.EMAIL) == "************"
        assert mask("@host", MaskStyle.EMAIL) == "*****"

    def test_id_number_hides_the_birth_date(self) -> None:
        masked = mask_id_number("330106199001011234")
        assert "19900101" not in masked
        assert masked.startswith("330106")
        assert masked.endswith("1234")


class TestVectorized:
    @given(
        values=st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=40),
        style=st.sampled_from(list(MaskStyle)),
    )
    def test_array_form_equals_value_form(self, values: list[str | None], style: MaskStyle) -> None:
        expected = [None if v is None else mask(v, style) for v in values]
        assert mask_array(pa.array(values, pa.string()), style).to_pylist() == expected
        # A column long enough for the Arrow kernels gives the same values too.
        times = PER_VALUE_BELOW // max(len(values), 1) + 1
        long = mask_array(pa.array(values * times, pa.large_string()), style)
        assert len(long) >= PER_VALUE_BELOW or not values
        assert long.to_pylist() == expected * times

    def test_non_string_columns_are_masked_as_text(self) -> None:
        masked = mask_array(pa.array([13812345678, None]), MaskStyle.MOBILE)
        assert masked.to_pylist() == ["138****5678", None]

    def test_a_masked_value_never_contains_the_hidden_part(self) -> None:
        masked = mask_array(pa.array(["13812345678"]), MaskStyle.MOBILE).to_pylist()[0]
        assert masked is not None
        assert "1234" not in masked[3:7]
        assert masked.count(MASK_CHAR) == 4
