"""The secret key of a demo data directory, made by `obert demo` and kept in the directory itself.

A directory that `obert demo` made holds it in a file only its owner reads; the account commands
(`obert user create`, `obert token create`) use it when OBERT_SECRET_KEY is unset, so a demo gets a staff
account without any configuration. A directory without the file gets nothing from here: everywhere else
OBERT_SECRET_KEY stays required (obert.settings refuses the default).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

MARKER = ".obert-demo-secret"


def demo_secret(data_dir: Path, *, create: bool = False) -> str | None:
    """The demo secret kept in `data_dir`; with `create`, made on first use. None for other directories."""
    path = data_dir / MARKER
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        secret = ""
    if secret or not create:
        return secret or None
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    # O_EXCL: two demos starting at once must not each write a different secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return demo_secret(data_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret + "\n")
    return secret
