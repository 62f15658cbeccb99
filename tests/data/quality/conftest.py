"""Fixtures of the quality tests."""

from __future__ import annotations

from pathlib import Path

import hatch_build
import pytest

from govhub.data.quality import kernels

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def scalar_kernels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the kernels built byte by byte (the form of processors without SSE2)."""
    target = tmp_path_factory.mktemp("scalar") / hatch_build.LIBRARY
    failure = hatch_build.compile_library(ROOT / hatch_build.SOURCE, target, "GOVHUB_SCALAR")
    assert failure is None, failure
    return target


@pytest.fixture(params=["compiled", "scalar", "numpy"])
def implementation(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, scalar_kernels: Path
) -> str:
    """Run a test with the compiled kernels as built, with their byte-by-byte form, then with
    the NumPy form they replace."""
    assert kernels.loaded(), f"{kernels.LIBRARY.name} is not built: is a C compiler installed?"
    if request.param == "scalar":
        monkeypatch.setattr(kernels, "_LIBRARY", kernels.load(scalar_kernels))
    if request.param == "numpy":
        monkeypatch.setattr(kernels, "loaded", lambda: False)
    return str(request.param)
