"""The compiled check kernels: their build, their fingerprints and their edge cases."""

from __future__ import annotations

import random
import shutil
import string
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import hatch_build
import numpy as np
import pyarrow as pa
import pytest
from hatchling.metadata.core import ProjectMetadata

from govhub.data.quality import kernels
from govhub.identity.codes import id_number_check_char, uscc_check_char
from tests.data.quality.building import ROOT, needs_compiler


def _hook(root: Path, target: str, directory: Path) -> hatch_build.KernelsBuildHook:
    metadata: ProjectMetadata[Any] = ProjectMetadata(str(root), None)
    return hatch_build.KernelsBuildHook(str(root), {}, None, metadata, str(directory), target)


def _id(born: date) -> str:
    body = f"110105{born:%Y%m%d}001"
    return body + id_number_check_char(body)


class TestBuild:
    @needs_compiler
    def test_the_installed_package_has_the_kernels(self) -> None:
        assert kernels.loaded(), f"{kernels.LIBRARY.name} is not built: is a C compiler installed?"
        assert kernels.LIBRARY.name == hatch_build.LIBRARY

    @needs_compiler
    def test_the_hook_compiles_a_library_that_checks_codes(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        source = tmp_path / hatch_build.SOURCE
        source.parent.mkdir(parents=True)
        shutil.copy(ROOT / hatch_build.SOURCE, source)
        build_data: dict[str, object] = {"force_include": {}}
        hook = _hook(tmp_path, "wheel", tmp_path)
        hook.initialize("standard", build_data)
        library = source.with_name(hatch_build.LIBRARY)
        assert build_data["pure_python"] is False
        assert build_data["force_include"] == {str(library): f"govhub/data/quality/{library.name}"}
        monkeypatch.setattr(kernels, "_LIBRARY", kernels.load(library))
        body = "91350100M000100Y4"
        values = pa.array([body + uscc_check_char(body), body + "0"])
        assert kernels.uscc(values).tolist() == [True, False]

    def test_without_a_compiler_the_build_goes_on_pure_python(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
        build_data: dict[str, object] = {"force_include": {}}
        hook = _hook(ROOT, "wheel", tmp_path)
        hook.initialize("standard", build_data)
        assert build_data == {"force_include": {}}
        failure = hatch_build.compile_library(ROOT / hatch_build.SOURCE, tmp_path / "x.so")
        assert failure is not None and "no-such-compiler" in failure  # noqa: PT018

    @needs_compiler
    def test_a_compile_error_is_reported(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("CC", raising=False)
        broken = tmp_path / "broken.c"
        broken.write_text("int f(void) { return }\n")
        failure = hatch_build.compile_library(broken, tmp_path / "broken.so")
        assert failure is not None and "error" in failure  # noqa: PT018
        assert not (tmp_path / "broken.so").exists()

    def test_an_sdist_ships_the_source_only(self, tmp_path: Path) -> None:
        build_data: dict[str, object] = {"force_include": {}}
        hook = _hook(tmp_path, "sdist", tmp_path)
        hook.initialize("standard", build_data)
        assert build_data == {"force_include": {}}
        assert not list(tmp_path.iterdir())


@needs_compiler
class TestFingerprint:
    def test_equal_values_have_equal_prints_however_stored(self) -> None:
        values = ["", "a", "统一社会信用代码", "x" * 70, None]
        array = pa.array(values * 3)
        prints = kernels.fingerprint(array.drop_null())
        assert len(set(prints.tolist())) == 4
        large = kernels.fingerprint(array.drop_null().cast(pa.large_string()))
        assert large.tolist() == prints.tolist()
        chunked = pa.chunked_array([array.drop_null().slice(0, 5), array.drop_null().slice(5)])
        assert kernels.fingerprint(chunked).tolist() == prints.tolist()

    def test_trailing_zero_bytes_and_moved_words_change_the_print(self) -> None:
        first, second = "a" * 8 + "b" * 8, "b" * 8 + "a" * 8
        values = pa.array(["a", "a\x00", "", "\x00", first, second, first * 9, second * 9])
        prints = kernels.fingerprint(values).tolist()
        assert len(set(prints)) == len(prints)

    def test_distinct_values_rarely_share_a_print(self) -> None:
        rng = random.Random(32100)  # noqa: S311 - test data
        texts = {
            "".join(rng.choices(string.ascii_uppercase + string.digits, k=rng.randint(1, 30)))
            for _ in range(50_000)
        }
        prints = kernels.fingerprint(pa.array(sorted(texts)))
        assert len(np.unique(prints)) == len(texts)

    def test_only_text_is_read(self) -> None:
        with pytest.raises(TypeError, match="int64"):
            kernels.fingerprint(pa.array([1, 2]))


@needs_compiler
class TestValidators:
    def test_birth_dates_from_1900_to_today(self) -> None:
        today = date(2024, 3, 1)
        born = [today, today + timedelta(days=1), date(1900, 1, 1), date(1899, 12, 31),
                date(2000, 2, 29), date(2024, 2, 29)]  # fmt: skip
        valid = kernels.id_number(pa.array([_id(d) for d in born]), today)
        assert valid.tolist() == [True, False, True, False, True, True]
        impossible = ["11010519000229001", "11010520230229001", "11010520231131001"]
        answers = kernels.id_number(
            pa.array([b + id_number_check_char(b) for b in impossible]), today
        )
        assert answers.tolist() == [False, False, False]

    def test_patterns_check_the_byte_length(self) -> None:
        sets = [frozenset(range(48, 58))] * 3
        values = pa.array(["123", "12", "1234", "12a", "１２３", ""])
        assert kernels.match_bytes(values, sets).tolist() == [
            True,
            False,
            False,
            False,
            False,
            False,
        ]

    def test_empty_arrays_and_empty_text(self) -> None:
        assert kernels.uscc(pa.array([], pa.string())).tolist() == []
        assert kernels.uscc(pa.array(["", ""])).tolist() == [False, False]
        assert (
            kernels.fingerprint(pa.array(["", ""])).tolist()[0]
            == kernels.fingerprint(pa.array([""])).tolist()[0]
        )


def _signature(prints: np.ndarray, size: int) -> np.ndarray:
    """The kernel's signature of each fingerprint: its partition (top bits) and low 32 bits."""
    bits = 0
    while bits < 24 and size >> bits > 4096:
        bits += 1
    top = prints >> np.uint64(64 - bits) if bits else np.zeros_like(prints)
    return (top << np.uint64(32)) | (prints & np.uint64(0xFFFFFFFF))


def _repeats(values: np.ndarray) -> np.ndarray:
    kinds, counts = np.unique(values, return_counts=True)
    return np.flatnonzero(np.isin(values, kinds[counts > 1]))


@needs_compiler
class TestRepeated:
    def test_repeated_prints_and_signature_mates_are_found(self) -> None:
        prints = np.array([1, 1 + (1 << 40), 5, 9, 5, 7, 1 << 16], dtype=np.uint64)
        # Few prints make one partition: 1 and 1 + 2^40 share their low 32 bits, a signature
        assert kernels.repeated(prints).tolist() == [0, 1, 2, 4]
        assert kernels.repeated(np.array([3, 4], dtype=np.uint64)).tolist() == []
        assert kernels.repeated(np.zeros(0, dtype=np.uint64)).tolist() == []
        assert kernels.repeated(np.zeros(1, dtype=np.uint64)).tolist() == []

    @pytest.mark.parametrize("size", [5_000, 200_000, 1_500_000])
    def test_every_repeat_is_found_in_many_partitions(self, size: int) -> None:
        rng = np.random.default_rng(size)
        prints = rng.integers(0, 2**64 - 1, size, dtype=np.uint64)
        prints[rng.choice(size, size // 400, replace=False)] = prints[: size // 400]
        prints[-3:] = prints[7]  # a print met five times or so
        found = kernels.repeated(prints)
        assert np.isin(_repeats(prints), found).all()
        assert found.tolist() == _repeats(_signature(prints, size)).tolist()
        assert (np.diff(found) > 0).all()

    def test_a_partition_far_above_the_average(self) -> None:
        prints = np.concatenate(
            [np.full(60_000, 42, dtype=np.uint64), np.arange(100, 40_100, dtype=np.uint64)]
        )
        assert kernels.repeated(prints).tolist() == list(range(60_000))

    def test_low_words_equal_in_different_partitions_are_apart(self) -> None:
        size = 50_000  # four bits of partition
        prints = (np.arange(size, dtype=np.uint64) * np.uint64(2654435761)) & np.uint64(2**32 - 1)
        prints[:2] = [5, 5 | (1 << 63)]  # low words equal, partitions 0 and 8
        assert kernels.repeated(prints).tolist() == []
