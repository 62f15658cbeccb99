"""Keyed pseudonyms: stable under one key, unlinkable across keys."""

from __future__ import annotations

import pyarrow as pa

from govhub.privacy.pseudonyms import (
    TOKEN_HEX_CHARS,
    pseudonym_key,
    pseudonymize,
    pseudonymize_array,
)


class TestPseudonyms:
    def test_the_same_value_under_the_same_key_gives_the_same_token(self) -> None:
        key = pseudonym_key("grant:a")
        assert pseudonymize("330106199001011234", key) == pseudonymize("330106199001011234", key)
        assert len(pseudonymize("x", key)) == TOKEN_HEX_CHARS

    def test_tokens_under_two_grants_do_not_match(self) -> None:
        values = [f"3301061990010{i:05d}" for i in range(200)]
        first = {pseudonymize(v, pseudonym_key("grant:a")) for v in values}
        second = {pseudonymize(v, pseudonym_key("grant:b")) for v in values}
        assert len(first) == len(values)
        assert not first & second

    def test_column_form_equals_value_form_and_keeps_nulls(self) -> None:
        key = pseudonym_key("grant:c")
        column = pa.chunked_array([["a", "b", None], ["a"]])
        tokens = pseudonymize_array(column, key).to_pylist()
        assert tokens == [pseudonymize("a", key), pseudonymize("b", key), None, tokens[0]]

    def test_numbers_are_pseudonymized_as_text(self) -> None:
        key = pseudonym_key("grant:d")
        assert pseudonymize_array(pa.array([42]), key).to_pylist() == [pseudonymize("42", key)]
