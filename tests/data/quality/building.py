"""What the tests of the compiled kernels need from the build."""

from __future__ import annotations

import shutil
from pathlib import Path

import hatch_build
import pytest

ROOT = Path(__file__).resolve().parents[3]
needs_compiler = pytest.mark.skipif(
    shutil.which(hatch_build.compiler()[0]) is None,
    reason="no C compiler on this machine: the quality checks run their NumPy form",
)
