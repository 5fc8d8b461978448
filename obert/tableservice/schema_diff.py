"""Which columns a new version of a table adds, drops, renames or retypes (pure: no store, no files).

Clients of a table's API break when a column they read disappears, takes another name or another type;
a column added breaks nobody. So the first three hold a new version back (see schema_gate) and an added
column only gets announced.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

ChangeKind = Literal["added", "dropped", "renamed", "retyped"]
HOLDING: frozenset[str] = frozenset({"dropped", "renamed", "retyped"})
# Names this alike (0..1, difflib's ratio after folding case and accents) are one column renamed.
SIMILAR = 0.8


@dataclass(frozen=True, slots=True)
class SchemaChange:
    column: str  # the column's name in the old version (in the new one for an added column)
    change: ChangeKind
    old_name: str | None = None
    new_name: str | None = None
    old_type: str | None = None
    new_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "change": self.change,
            "old_name": self.old_name,
            "new_name": self.new_name,
            "old_type": self.old_type,
            "new_type": self.new_type,
        }

    def describe(self) -> str:
        if self.change == "renamed":
            retyped = f" ({self.old_type} → {self.new_type})" if self.old_type != self.new_type else ""
            return f"column {self.column!r} renamed to {self.new_name!r}{retyped}"
        if self.change == "retyped":
            return f"column {self.column!r} retyped {self.old_type} → {self.new_type}"
        return f"column {self.column!r} {self.change}"


Columns = Sequence[tuple[str, str]]  # (name, type) in table order


def columns_of(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A version's columns as (name, type), from its stored ingest report."""
    return [(str(c["name"]), str(c["type"])) for c in report.get("columns") or []]


def compare_columns(old: Columns, new: Columns) -> list[SchemaChange]:
    """The changes from `old` to `new`: retyped columns, then renamed, dropped and added ones.

    A column missing from `new` and one new to it count as one column renamed when their names are
    alike, or when they sit at the same position with the same type.
    """
    old_types, new_types = dict(old), dict(new)
    retyped = [
        SchemaChange(name, "retyped", old_type=kind, new_type=new_types[name])
        for name, kind in old
        if name in new_types and new_types[name] != kind
    ]
    dropped = [(i, name, kind) for i, (name, kind) in enumerate(old) if name not in new_types]
    added = [(i, name, kind) for i, (name, kind) in enumerate(new) if name not in old_types]
    pairs = _renames(dropped, added)
    renamed_old = {o for o, _ in pairs}
    renamed_new = {n for _, n in pairs}
    renamed = [
        SchemaChange(o, "renamed", old_name=o, new_name=n, old_type=old_types[o], new_type=new_types[n])
        for o, n in pairs
    ]
    gone = [
        SchemaChange(name, "dropped", old_name=name, old_type=kind)
        for _, name, kind in dropped
        if name not in renamed_old
    ]
    fresh = [
        SchemaChange(name, "added", new_name=name, new_type=kind)
        for _, name, kind in added
        if name not in renamed_new
    ]
    return retyped + renamed + gone + fresh


def holds_back(changes: Sequence[SchemaChange]) -> list[SchemaChange]:
    """The changes that keep a version from publication (all but added columns)."""
    return [c for c in changes if c.change in HOLDING]


def _renames(dropped: list[tuple[int, str, str]], added: list[tuple[int, str, str]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    free = list(added)
    scored = sorted(
        ((_likeness(o, n), o, n) for _, o, _ in dropped for _, n, _ in added), key=lambda s: -s[0]
    )
    taken_old: set[str] = set()
    for score, o, n in scored:
        if score < SIMILAR:
            break
        if o in taken_old or all(a[1] != n for a in free):
            continue
        pairs.append((o, n))
        taken_old.add(o)
        free = [a for a in free if a[1] != n]
    for position, o, kind in dropped:
        if o in taken_old:
            continue
        same = next((a for a in free if a[0] == position and a[2] == kind), None)
        if same is not None:
            pairs.append((o, same[1]))
            taken_old.add(o)
            free.remove(same)
    return pairs


def _fold(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _likeness(a: str, b: str) -> float:
    fa, fb = _fold(a), _fold(b)
    if fa == fb:
        return 1.0
    return difflib.SequenceMatcher(None, fa, fb).ratio()


def changes_json(changes: Sequence[SchemaChange]) -> list[dict[str, Any]]:
    return [c.to_json() for c in changes]
