"""Every setting an operator can set is in the README's settings table, and the table names no setting
that does not exist (the table's first column lists the variables of a row)."""

from __future__ import annotations

import re
from pathlib import Path

from obert.settings import Settings

README = Path(__file__).parent.parent / "README.md"


def _documented() -> set[str]:
    names: set[str] = set()
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `OBERT_"):
            names |= set(re.findall(r"`(OBERT_[A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_the_readme_documents_every_setting_and_only_those() -> None:
    settings = {"OBERT_" + name.upper() for name in Settings.model_fields}
    documented = _documented()
    assert sorted(settings - documented) == [], "add these to the README's settings table"
    assert sorted(documented - settings) == [], "the README documents settings that do not exist"
