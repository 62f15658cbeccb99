"""Fixtures of the quality tests."""

from __future__ import annotations

from pathlib import Path

import hatch_build
import pytest

from govhub.data.quality import kernels
from tests.data.quality.building import ROOT, needs_compiler


@pytest.fixture(scope="session")
def scalar_kernels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the kernels built byte by byte (the form of processors without SSE2)."""
    target = tmp_path_factory.mktemp("scalar") / hatch_build.LIBRARY
    failure = hatch_build.compile_library(ROOT / hatch_build.SOURCE, target, "GOVHUB_SCALAR")
    assert failure is None, failure
    return target


@pytest.fixture(
    params=[
        pytest.param("compiled", marks=needs_compiler),
        pytest.param("scalar", marks=needs_compiler),
        "numpy",
    ]
)
def implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the compiled kernels as built, with their byte-by-byte form, then with
    the NumPy form they replace."""
    if request.param != "numpy":
        assert kernels.loaded(), f"{kernels.LIBRARY.name} did not build: see the install log"
    if request.param == "scalar":
        library = kernels.load(request.getfixturevalue("scalar_kernels"))
        monkeypatch.setattr(kernels, "_LIBRARY", library)
    if request.param == "numpy":
        monkeypatch.setattr(kernels, "loaded", lambda: False)
    return str(request.param)
