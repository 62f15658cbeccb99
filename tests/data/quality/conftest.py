"""Fixtures of the quality tests."""

from __future__ import annotations

import pytest

from govhub.data.quality import kernels


@pytest.fixture(params=["compiled", "numpy"])
def implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the compiled kernels, then with the NumPy form they replace."""
    if request.param == "numpy":
        monkeypatch.setattr(kernels, "loaded", lambda: False)
    else:
        assert kernels.loaded(), f"{kernels.LIBRARY.name} is not built: is a C compiler installed?"
    return str(request.param)
