"""Column names as published: the source header, tidied but recognisable."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")


def clean_names(header: list[str]) -> list[str]:
    """Strip and collapse whitespace, name blank headers ``column_N`` and make names unique.

    Accents and case are kept: ``Coordenada UTM (X)`` is what the city calls the column, and the
    original spelling is what users search for. Only invisible differences are removed.
    """
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(header, start=1):
        name = _SPACES.sub(" ", raw.replace("\ufeff", "")).strip() or f"column_{i}"
        base, n = name, 2
        while name.lower() in seen:
            name = f"{base}_{n}"
            n += 1
        seen.add(name.lower())
        out.append(name)
    return out
