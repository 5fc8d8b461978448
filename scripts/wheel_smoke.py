"""Install a built obert wheel into a fresh virtual environment and smoke-test it as an operator would.

    python3 scripts/wheel_smoke.py dist/obert-0.1.0-py3-none-any.whl

Nothing of the source tree is importable here (the commands run from an empty temporary folder), so a file
missing from the wheel (templates, the demo's GeoJSON, the Swagger UI files) fails this script. It loads the
demo into a temporary data directory, serves it, and fetches pages, the API index, the API docs and one of
their assets. `OBERT_SMOKE_VENV` reuses a virtual environment (the wheel is reinstalled into it).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PAGES = (
    ("/health", "application/json"),
    ("/ca/", "text/html"),
    ("/en/datasets", "text/html"),
    ("/api/v1", "application/json"),
    ("/api/v1/openapi.json", "application/json"),
    ("/api/v1/datasets?limit=1", "application/json"),
    ("/api/3/action/package_list", "application/json"),
    ("/catalog.ttl", "text/turtle"),
    ("/api/docs", "text/html"),
    ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "javascript"),
    ("/static/vendor/leaflet/images/marker-icon.png", "image/png"),
)


def main(wheel: Path) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="obert-smoke-") as tmp:
        work = Path(tmp)
        venv = Path(os.environ.get("OBERT_SMOKE_VENV") or work / "venv")
        if not (venv / "bin" / "python").exists():
            _run([sys.executable, "-m", "venv", str(venv)], cwd=work)
        _run(
            [str(venv / "bin" / "pip"), "install", "-q", "--force-reinstall", "--no-deps", str(wheel)],
            cwd=work,
        )
        _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], cwd=work)
        obert = str(venv / "bin" / "obert")
        env = {**os.environ, "OBERT_DATA_DIR": str(work / "data"), "PYTHONPATH": ""}
        env.pop("OBERT_DATABASE_URL", None)
        _run([obert, "demo", "--load-only"], cwd=work, env=env)
        port = _free_port()
        server = subprocess.Popen(
            [obert, "demo", "--port", str(port)],
            cwd=work,
            env={**env, "OBERT_ACCESS_LOG": "false"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(base + "/health", server)
            for path, kind in PAGES:
                _fetch(base + path, kind)
            index = json.loads(_fetch(base + "/api/v1", "application/json"))
            assert index["links"]["docs"].endswith("/api/docs"), index
        finally:
            server.terminate()
            output = server.communicate(timeout=30)[0].decode(errors="replace")
        if server.returncode not in (0, -15):
            raise SystemExit(f"the server ended with {server.returncode}:\n{output}")
    print(f"wheel smoke test passed in {time.monotonic() - started:.0f} s: {wheel.name}")


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read().decode(errors="replace") if server.stdout else ""
            raise SystemExit(f"the server stopped:\n{output}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise SystemExit(f"nothing answered at {url} within 60 s")


def _fetch(url: str, kind: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body: bytes = response.read()
            content_type = response.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"GET {url}: {exc.code}\n{exc.read()[:500]!r}") from None
    if kind not in content_type or not body:
        raise SystemExit(f"GET {url}: {content_type!r}, {len(body)} bytes; expected {kind}")
    print(f"  {url}: {len(body):,} bytes of {content_type}")
    return body.decode(errors="replace")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]).resolve())
