"""Vendor the web shell's JavaScript from the npm registry into src/govhub/web/static/vendor/.

Run `python scripts/vendor_assets.py` after changing a version in `ASSETS`. Each package is
fetched with `npm pack` into a temporary directory; only its minified dist file and its license
are copied, and `vendor/README.md` is rewritten with name, version, license and SHA-256. The
vendored files are committed, so nothing is fetched at run time or at install time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parents[1] / "src" / "govhub" / "web" / "static" / "vendor"


@dataclass(frozen=True)
class Asset:
    """One npm package and the single dist file taken from it."""

    package: str
    version: str
    dist_file: str
    target: str


ASSETS = (
    Asset("htmx.org", "4.0.1", "dist/htmx.min.js", "htmx.min.js"),
    Asset("echarts", "6.1.0", "dist/echarts.min.js", "echarts.min.js"),
)

LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "license")


def _pack(asset: Asset, workdir: Path) -> Path:
    """Download the package tarball with `npm pack` and return its path."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed to vendor assets (apt-get install -y npm)")
    out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [npm, "pack", f"{asset.package}@{asset.version}", "--json", "--pack-destination", workdir],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    filename = json.loads(out)[0]["filename"]
    return workdir / filename


def _member(archive: tarfile.TarFile, name: str) -> bytes | None:
    try:
        extracted = archive.extractfile(f"package/{name}")
    except KeyError:
        return None
    return extracted.read() if extracted else None


def vendor(asset: Asset, workdir: Path) -> str:
    """Copy one asset's dist file and license into the vendor directory; return a README row."""
    with tarfile.open(_pack(asset, workdir)) as archive:
        manifest = json.loads(_member(archive, "package.json") or b"{}")
        data = _member(archive, asset.dist_file)
        if data is None:
            sys.exit(f"{asset.package}@{asset.version} has no {asset.dist_file}")
        (VENDOR_DIR / asset.target).write_bytes(data)
        for name in LICENSE_NAMES:
            text = _member(archive, name)
            if text is not None:
                (VENDOR_DIR / f"{asset.target}.LICENSE.txt").write_bytes(text)
                break
        notice = _member(archive, "NOTICE")
        if notice is not None:  # Apache-2.0 asks that the NOTICE travel with the code
            (VENDOR_DIR / f"{asset.target}.NOTICE.txt").write_bytes(notice)
    digest = hashlib.sha256(data).hexdigest()
    license_id = manifest.get("license", "see LICENSE")
    return (
        f"| `{asset.target}` | {asset.package} | {asset.version} | {license_id} "
        f"| `{asset.dist_file}` | `{digest[:16]}…` |"
    )


def main() -> None:
    """Vendor every asset and rewrite the vendor README."""
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [vendor(asset, Path(tmp)) for asset in ASSETS]
    readme = [
        "# Vendored front-end assets",
        "",
        "Fetched from the npm registry by `scripts/vendor_assets.py` (edit the versions there and",
        "run it again); served from `/static/vendor/`. Nothing is loaded from a CDN at run time.",
        "Each file's license text sits beside it as `<file>.LICENSE.txt` (and a NOTICE when the",
        "package ships one).",
        "",
        "| file | npm package | version | license | taken from | sha256 |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    (VENDOR_DIR / "README.md").write_text("\n".join(readme), encoding="utf-8")
    print("\n".join(rows))  # noqa: T201 - a script reporting what it wrote


if __name__ == "__main__":
    main()
