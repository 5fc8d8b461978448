"""One column prepared for the detectors: its non-empty values as text, counted once per distinct value.

Counting distinct values first is what makes scanning cheap: most open-data columns repeat a few codes
or labels, so each check runs once per distinct value and weighs its answer by how often it occurs.
Regular-expression prefilters run inside Arrow (RE2, vectorised) so Python only sees candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from obert.privacy.kinds import SEVERITY, Finding, Kind, Reason
from obert.privacy.masking import mask


@dataclass(frozen=True, slots=True)
class Options:
    """Tuning shared by the detectors (see scan_table for what each means)."""

    min_share: float = 0.5
    max_examples: int = 3
    today: date = date(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    distinct: pa.Array  # string values, trimmed, non-empty, each once
    counts: pa.Array  # int64, occurrences of each distinct value
    scanned: int  # cells looked at, empty ones included
    filled: int  # cells with a value
    numeric: bool  # the stored type was a number (so no separators, no leading '+')
    temporal: bool
    median_length: float  # in characters, over the filled cells

    @classmethod
    def from_array(cls, name: str, array: pa.Array | pa.ChunkedArray) -> Column | None:
        """Prepare `array`; None for types no detector reads (floats, booleans, binary, nested)."""
        kind = array.type
        numeric = pa.types.is_integer(kind) or pa.types.is_decimal(kind)
        temporal = pa.types.is_temporal(kind)
        textual = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if pa.types.is_dictionary(kind):
            return cls.from_array(name, array.cast(kind.value_type))
        if not (numeric or temporal or textual):
            return None
        scanned = len(array)
        text = pc.utf8_trim_whitespace(pc.cast(array, pa.string()))
        text = pc.filter(text, pc.and_(pc.is_valid(text), pc.not_equal(text, "")))
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        counted = pc.value_counts(text)
        median = pc.approximate_median(pc.utf8_length(text)).as_py() if len(text) else 0.0
        return cls(
            name=name,
            distinct=counted.field("values"),
            counts=counted.field("counts"),
            scanned=scanned,
            filled=len(text),
            numeric=numeric,
            temporal=temporal,
            median_length=float(median or 0.0),
        )

    def candidates(self, pattern: str, *, ignore_case: bool = False) -> list[tuple[str, int]]:
        """Distinct values matching the RE2 `pattern` (anywhere; anchor it to match whole values)."""
        if not len(self.distinct):
            return []
        mask = pc.match_substring_regex(self.distinct, pattern, ignore_case=ignore_case)
        values = pc.filter(self.distinct, mask).to_pylist()
        counts = pc.filter(self.counts, mask).to_pylist()
        return list(zip(values, counts, strict=True))

    def all_values(self) -> list[tuple[str, int]]:
        return list(zip(self.distinct.to_pylist(), self.counts.to_pylist(), strict=True))

    def finding(
        self, kind: Kind, hits: list[tuple[str, int]], reason: Reason, options: Options, detail: str
    ) -> Finding:
        """A finding of `kind` built from the matching distinct values and their counts."""
        return Finding(
            column=self.name,
            kind=kind,
            severity=SEVERITY[kind],
            matched=sum(count for _, count in hits),
            scanned=self.scanned,
            reason=reason,
            examples=tuple(mask(value, kind) for value, _ in hits[: options.max_examples]),
            detail=detail,
        )
