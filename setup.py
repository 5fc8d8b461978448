"""Build hook: a wheel carries the front-end libraries obert serves itself (Swagger UI, Leaflet, Chart.js).

They are built from npm's lockfile by `make static` into obert/web/static/vendor, which git ignores. A wheel
built without them installs a portal whose API docs and maps are broken, so building one runs `make static`
when they are missing and stops with a message when that cannot be done; nothing is fetched from a CDN.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
VENDOR = ROOT / "obert" / "web" / "static" / "vendor"
# One file of each library: the Makefile's `static` rule copies these (and their companions) together.
VENDOR_FILES = (
    "swagger-ui/swagger-ui-bundle.js",
    "swagger-ui/swagger-ui.css",
    "leaflet/leaflet.js",
    "leaflet/images/marker-icon.png",
    "chart.js/chart.umd.min.js",
)


def _missing() -> list[str]:
    return [name for name in VENDOR_FILES if not (VENDOR / name).is_file()]


class BuildWithVendor(build_py):
    def run(self) -> None:
        if _missing():
            if (
                not (ROOT / "Makefile").is_file()
                or shutil.which("make") is None
                or shutil.which("npm") is None
            ):
                raise SystemExit(
                    "obert's front-end files are missing from obert/web/static/vendor and cannot be built "
                    "here: run `make static` (needs Node.js and npm) before building the wheel"
                )
            subprocess.run(["make", "static"], cwd=ROOT, check=True)
            if _missing():
                raise SystemExit(f"`make static` did not build {', '.join(_missing())}")
        super().run()


setup(cmdclass={"build_py": BuildWithVendor})
