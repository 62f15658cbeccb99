"""Field policies applied to whole tables."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from govhub.privacy.detect import detect
from govhub.privacy.masking import MaskStyle
from govhub.privacy.policy import (
    FieldPolicy,
    Generalization,
    PolicyError,
    Treatment,
    apply,
    default_policies,
)
from govhub.privacy.pseudonyms import pseudonym_key, pseudonymize

TABLE = pa.table(
    {
        "name": ["张三", "李四"],
        "id_number": ["33010619900101123X", "330106198512310026"],
        "birth": pa.array([date(1990, 1, 1), date(1985, 12, 31)], pa.date32()),
        "division": ["330106001002", "330102"],
        "score": [1, 2],
    }
)


class TestApply:
    def test_each_treatment(self) -> None:
        key = pseudonym_key("grant:policy-test")
        out = apply(
            TABLE,
            {
                "name": FieldPolicy(Treatment.MASK, mask_style=MaskStyle.NAME),
                "id_number": FieldPolicy(Treatment.PSEUDONYMIZE),
                "birth": FieldPolicy(Treatment.GENERALIZE, generalization=Generalization.AGE_BAND),
                "division": FieldPolicy(Treatment.GENERALIZE, generalization=Generalization.CITY),
                "score": FieldPolicy(Treatment.DROP),
            },
            pseudonym_key=key,
            today=date(2026, 11, 23),
        )
        assert out.column_names == ["name", "id_number", "birth", "division"]
        assert out.column("name").to_pylist() == ["张*", "李*"]
        assert out.column("id_number").to_pylist() == [
            pseudonymize("33010619900101123X", key),
            pseudonymize("330106198512310026", key),
        ]
        assert out.column("birth").to_pylist() == ["30-39", "40-49"]
        assert out.column("division").to_pylist() == ["330100", "330100"]

    def test_clear_text_passes_unchanged_with_a_legal_basis(self) -> None:
        policy = FieldPolicy(Treatment.CLEAR, legal_basis="《行政许可法》第三十一条")
        assert apply(TABLE, {"id_number": policy}).equals(TABLE)

    def test_default_policies_mask_detected_columns(self) -> None:
        policies = default_policies(detect(TABLE))
        out = apply(TABLE, policies)
        assert out.column("id_number").to_pylist() == ["330106********123X", "330106********0026"]
        assert out.column("name").to_pylist() == ["张*", "李*"]
        assert out.column("score").to_pylist() == [1, 2]


class TestRefusals:
    def test_clear_text_without_a_legal_basis(self) -> None:
        with pytest.raises(PolicyError, match="legal basis"):
            FieldPolicy(Treatment.CLEAR)

    def test_generalizing_without_a_target(self) -> None:
        with pytest.raises(PolicyError, match="names the generalization"):
            FieldPolicy(Treatment.GENERALIZE)

    def test_pseudonymizing_without_a_key(self) -> None:
        with pytest.raises(PolicyError, match="key"):
            apply(TABLE, {"id_number": FieldPolicy(Treatment.PSEUDONYMIZE)})

    def test_policies_for_missing_columns(self) -> None:
        with pytest.raises(PolicyError, match="salary"):
            apply(TABLE, {"salary": FieldPolicy(Treatment.DROP)})
