"""Build hook: compile the quality checks' C kernels into a shared library beside their module.

`govhub.data.quality.kernels` loads the library with ctypes. Where no C compiler is found the
build goes on with a warning, and the checks use their NumPy form.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("src/govhub/data/quality/kernels.c")
LIBRARY = "libgovhub_kernels" + {"darwin": ".dylib", "win32": ".dll"}.get(sys.platform, ".so")
FLAGS = ["-O3", "-std=c99", "-shared", "-fPIC"]


def compiler() -> list[str]:
    """Return the C compiler's command: $CC, or the one Python was built with."""
    return shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")


def compile_library(source: Path, target: Path, *defines: str) -> str | None:
    """Compile `source` into the shared library `target` with the preprocessor `defines`;
    return None, or why it failed."""
    compiler_ = compiler()
    try:
        subprocess.run(  # noqa: S603 - the compiler and fixed arguments
            [*compiler_, *FLAGS, *(f"-D{d}" for d in defines), str(source), "-o", str(target)],
            check=True,
            capture_output=True,
            text=True,
        )
    except OSError as exc:
        return f"{compiler_[0]}: {exc.strerror}"
    except subprocess.CalledProcessError as exc:
        return exc.stderr.strip() or f"{compiler_[0]} exited with status {exc.returncode}"
    return None


class KernelsBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compiles the kernels for wheels and editable installs (an sdist ships the source)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile the library in place; a wheel also carries it."""
        if self.target_name != "wheel":
            return
        source = Path(self.root) / SOURCE
        target = source.with_name(LIBRARY)
        failure = compile_library(source, target)
        if failure is not None:
            self.app.display_warning(
                f"The C check kernels did not compile, so quality checks use NumPy: {failure}"
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":
            build_data["force_include"][str(target)] = f"govhub/data/quality/{LIBRARY}"
