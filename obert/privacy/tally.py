"""Counts of identifier look-alikes, gathered column by column and batch by batch, then judged once.

A column is judged on all of its cells even when they arrive in pieces (the row groups of a large file):
each detector adds what it saw to a tally (cells of the kind's shape, those that validate, those that
validate and are labelled) and only the totals decide. So one real DNI inside a note in a million-row
file is reported, and a column of codes of which one in 23 happens to pass the DNI letter is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from obert.privacy.column import Options
from obert.privacy.kinds import SEVERITY, Finding, Kind, Reason

# A kind found in this many cells of a column (with enough of its look-alikes valid), or found once
# with a word naming it, is settled: later pieces of the table no longer read that kind's spans in
# Python, so a column full of identifiers costs one piece, not the whole file. Its count then reads
# "at least".
SETTLED_AFTER = 1_000


@dataclass(slots=True)
class Tally:
    """Cells of one kind's shape in one column: `looked_at` had the shape, `matched` validated, `sure`
    validated with a word naming the kind before them; `embedded` of the matched held it inside text."""

    kind: Kind
    what: str
    reason: Reason = "content"
    looked_at: int = 0
    matched: int = 0
    sure: int = 0
    embedded: int = 0
    examples: list[str] = field(default_factory=list)  # masked, never raw
    partial: bool = False  # settled early: later pieces were not all read for spans inside text

    def merge(self, other: Tally, options: Options) -> None:
        self.looked_at += other.looked_at
        self.matched += other.matched
        self.sure += other.sure
        self.embedded += other.embedded
        self.partial = self.partial or other.partial
        if other.reason == "both":
            self.reason = "both"
        for example in other.examples:
            if len(self.examples) < options.max_examples and example not in self.examples:
                self.examples.append(example)

    def decide(self, column: str, scanned: int, options: Options) -> Finding | None:
        """A finding when enough of the look-alikes validate (or any is labelled and valid)."""
        if not self.matched:
            return None
        # A settled kind stays reported: later pieces were not all read, so their share cannot undo it.
        if not (self.sure or self.partial) and self.matched < options.min_share * self.looked_at:
            return None
        verb = "contain" if self.embedded else "are"
        at_least = "at least " if self.partial else ""
        return Finding(
            column=column,
            kind=self.kind,
            severity=SEVERITY[self.kind],
            matched=self.matched,
            scanned=scanned,
            reason=self.reason,
            examples=tuple(self.examples[: options.max_examples]),
            detail=f"{at_least}{self.matched} values {verb} {self.what}",
        )


@dataclass(slots=True)
class FreeTextTally:
    """Texts of a prose column holding identifiers, and how many of each kind."""

    matched: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    partial: bool = False

    def merge(self, other: FreeTextTally, options: Options) -> None:
        self.matched += other.matched
        for kind, n in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + n
        for example in other.examples:
            if len(self.examples) < options.max_examples:
                self.examples.append(example)

    def decide(self, column: str, scanned: int) -> Finding | None:
        if not self.matched:
            return None
        inside = ", ".join(f"{kind} ({n})" for kind, n in sorted(self.kinds.items()))
        at_least = "at least " if self.partial else ""
        # Examples show only the masked identifiers, never the surrounding text, which may name people.
        return Finding(
            column=column,
            kind="free_text",
            severity=SEVERITY["free_text"],
            matched=self.matched,
            scanned=scanned,
            reason="content",
            examples=tuple(self.examples),
            detail=f"{at_least}{self.matched} texts contain {inside}",
        )


@dataclass(slots=True)
class ColumnTally:
    """Everything the identifier detectors saw in one column, over all the pieces it came in."""

    label: str  # the name as reports show it (identifiers in it masked)
    prose: bool = False
    scanned: int = 0
    kinds: dict[Kind, Tally] = field(default_factory=dict)
    free: FreeTextTally = field(default_factory=FreeTextTally)
    settled: set[str] = field(default_factory=set)  # kinds (or "free_text") no longer read in text

    def settle(self, options: Options) -> None:
        """Mark the kinds this column is already sure to be reported for (see SETTLED_AFTER)."""
        if self.free.matched:
            self.settled.add("free_text")
        for kind, tally in self.kinds.items():
            if kind in self.settled or tally.decide(self.label, self.scanned, options) is None:
                continue
            if tally.sure or tally.matched >= SETTLED_AFTER:
                self.settled.add(kind)

    def skipping(self) -> frozenset[str]:
        """The settled kinds, which the next piece will not read inside text: their counts become
        lower bounds from here on."""
        for kind in self.settled:
            if kind == "free_text":
                self.free.partial = True
            elif kind in self.kinds:
                self.kinds[kind].partial = True
        return frozenset(self.settled)

    def add(self, tally: Tally, options: Options) -> None:
        if tally.kind in self.kinds:
            self.kinds[tally.kind].merge(tally, options)
        else:
            self.kinds[tally.kind] = tally

    def findings(self, options: Options) -> list[Finding]:
        """Free text when the column reads as prose and holds identifiers, else one per kind found."""
        text = self.free.decide(self.label, self.scanned)
        if text is not None:
            return [text]
        return [
            f for t in self.kinds.values() if (f := t.decide(self.label, self.scanned, options)) is not None
        ]
