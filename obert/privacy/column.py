"""One column prepared for the detectors: its non-empty values as text, counted once per distinct value.

Counting distinct values first is what makes scanning cheap: most open-data columns repeat a few codes
or labels, so each check runs once per distinct value and weighs its answer by how often it occurs.
Regular-expression prefilters run inside Arrow (RE2, vectorised) so Python only sees candidates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from obert.privacy.kinds import SEVERITY, Finding, Kind, Reason
from obert.privacy.masking import mask
from obert.privacy.normalise import NEEDS_NORMALISING, normalise_array
from obert.privacy.spans import display_name


@dataclass(frozen=True, slots=True)
class Options:
    """Tuning shared by the detectors (see scan_table for what each means)."""

    min_share: float = 0.5
    max_examples: int = 3
    today: date = date(2000, 1, 1)


# Long enough and wordy enough to be prose rather than a label, a code or a hash.
PROSE_MEDIAN_LENGTH = 40
PROSE_MEDIAN_WORDS = 6


# The shortest identifier an integer column can hold is a nine-digit phone number; counts, codes and
# years are all smaller, and skipping them saves most of the work on statistical tables.
SMALLEST_IDENTIFIER = 10**8


def _max_abs(array: pa.Array | pa.ChunkedArray) -> int:
    bounds = pc.min_max(array).as_py()
    return int(max(abs(bounds["min"] or 0), abs(bounds["max"] or 0)))


_PROBE = 2_000


def _probe(size: int) -> pa.Array | None:
    """Evenly spread positions of a column of `size` values to tell whether it is mostly distinct."""
    if size <= _PROBE:
        return None
    step = size // _PROBE
    return pa.array(range(0, step * _PROBE, step), pa.int64())


def _nearly_all_distinct(probe: pa.Array) -> bool:
    return int(pc.count_distinct(probe).as_py()) > _PROBE * 9 // 10


def _mostly_distinct(text: pa.Array) -> bool:
    """Whether an evenly spread probe of the column is nearly all distinct values (counting them would
    cost more than it saves; a street-name column with a few thousand names is still worth counting)."""
    at = _probe(len(text))
    return at is not None and _nearly_all_distinct(text.take(at))


def _reads_as_prose(lengths: pa.Array, words: Callable[[], pa.Array]) -> bool:
    """From the values' lengths and (asked only for long values) their counts of spaces between words."""
    length = pc.approximate_median(lengths).as_py() or 0.0
    if length < PROSE_MEDIAN_LENGTH:
        return False
    return float(pc.approximate_median(words()).as_py() or 0.0) + 1 >= PROSE_MEDIAN_WORDS


def _is_prose(text: pa.Array) -> bool:
    return _reads_as_prose(pc.utf8_length(text), lambda: pc.count_substring_regex(text, _SPACES))


_SPACES = r"\s+"


@dataclass(frozen=True, slots=True)
class Column:
    """A scalar column as the detectors see it (nested columns are split into these by the scanner)."""

    name: str
    label: str  # the name as a report shows it: an identifier used as a column name is masked
    distinct: pa.Array  # string values, trimmed, non-empty, each once (see `counted`)
    counts: pa.Array  # int64, occurrences of each distinct value
    scanned: int  # cells looked at, empty ones included
    filled: int  # cells with a value
    numeric: bool  # the stored type was a number (so no separators, no leading '+')
    temporal: bool
    prose: bool  # reads as running text: long values made of several words
    counted: bool  # distinct really holds each value once (else one entry per row, counts all 1)

    @classmethod
    def from_array(
        cls,
        name: str,
        array: pa.Array | pa.ChunkedArray,
        *,
        prose: bool | None = None,
        only: str | None = None,
    ) -> Column | None:
        """Prepare `array`; None for what no detector reads: floats, booleans, binary, and integers too
        small to be a phone or card number. Text is normalised (see `normalise`) before anything reads
        it. `prose` says whether the column reads as running text when a sample already decided it.

        `only` (an RE2 pattern): keep in `distinct` only the values matching it or changed by normalising,
        for a caller that reads nothing else (the pass over every cell looks only for identifier shapes);
        `scanned` and `filled` still count every cell. A column of a million unique codes is then counted
        and normalised in the few values that matter."""
        kind = array.type
        numeric = pa.types.is_integer(kind) or pa.types.is_decimal(kind)
        temporal = pa.types.is_temporal(kind)
        textual = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if pa.types.is_dictionary(kind):
            if pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type):
                if prose is not None:
                    return cls._from_dictionary(name, array, prose=prose)
                if only is None:
                    return cls._from_coded(name, array)
            return cls.from_array(name, array.cast(kind.value_type), prose=prose, only=only)
        if not (numeric or temporal or textual):
            return None
        if pa.types.is_integer(kind) and len(array) and _max_abs(array) < SMALLEST_IDENTIFIER:
            return None
        scanned = len(array)
        text = pc.utf8_trim_whitespace(pc.cast(array, pa.string()))
        text = pc.filter(text, pc.and_(pc.is_valid(text), pc.not_equal(text, "")))
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        if prose is None:
            prose = bool(len(text)) and _is_prose(text)
        counted, filled = not _mostly_distinct(text), len(text)
        if only is not None and len(text):
            text = pc.filter(text, pc.match_substring_regex(text, f"{only}|{NEEDS_NORMALISING}"))
        if counted:
            tally = pc.value_counts(text)
            distinct, counts = tally.field("values"), tally.field("counts")
        else:
            # Counting a column of unique values costs more than it saves: keep every row, count 1.
            distinct, counts = text, pc.cast(pc.is_valid(text), pa.int64())
        if textual:
            # After counting, so each distinct value is normalised once. Two spellings of one value
            # stay two entries; the detectors add up their counts.
            distinct = normalise_array(distinct)
        return cls(
            name=name,
            label=display_name(name),
            distinct=distinct,
            counts=counts,
            scanned=scanned,
            filled=filled,
            numeric=numeric,
            temporal=temporal,
            prose=prose,
            counted=counted,
        )

    @classmethod
    def _from_coded(cls, name: str, array: pa.Array | pa.ChunkedArray) -> Column:
        """A dictionary-encoded text column judged on its own (whether it reads as prose is decided here, as
        on a sample), prepared exactly as `from_array` prepares its text: the same values, counts, order
        and judgements. Only the dictionary is trimmed and measured; rows stay codes, and a row's text is
        made only where every row must be kept (a column of mostly distinct values)."""
        coded = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        values = pc.utf8_trim_whitespace(pc.cast(coded.dictionary, pa.string()))
        usable = pc.and_(pc.is_valid(values), pc.not_equal(values, ""))
        codes = pc.filter(coded.indices, pc.fill_null(pc.take(usable, coded.indices), False))
        prose = bool(len(codes)) and _reads_as_prose(
            pc.take(pc.utf8_length(values), codes),
            lambda: pc.take(pc.count_substring_regex(values, _SPACES), codes),
        )
        at = _probe(len(codes))
        counted = at is None or not _nearly_all_distinct(pc.take(values, codes.take(at)))
        if counted:
            tally = pc.value_counts(codes)  # codes in the order they first appear, as text would be
            distinct, counts = pc.take(values, tally.field("values")), tally.field("counts")
            if len(distinct) > 1 and pc.count_distinct(distinct).as_py() < len(distinct):
                # Codes of values that differ only by surrounding spaces: one value, where it first appears.
                merged: dict[str, int] = {}
                for value, count in zip(distinct.to_pylist(), counts.to_pylist(), strict=True):
                    merged[value] = merged.get(value, 0) + count
                distinct = pa.array(list(merged), pa.string())
                counts = pa.array(list(merged.values()), pa.int64())
        else:
            distinct = pc.take(values, codes)
            counts = pc.cast(pc.is_valid(distinct), pa.int64())
        return cls(
            name=name,
            label=display_name(name),
            distinct=normalise_array(distinct),
            counts=counts,
            scanned=len(coded),
            filled=len(codes),
            numeric=False,
            temporal=False,
            prose=prose,
            counted=counted,
        )

    @classmethod
    def _from_dictionary(cls, name: str, array: pa.Array | pa.ChunkedArray, *, prose: bool) -> Column:
        """A dictionary-encoded text column (as Parquet stores a column of few values), counted by its codes:
        only the dictionary's values are turned into text, trimmed and normalised, never a row's."""
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        tally = pc.value_counts(array)
        values = pc.utf8_trim_whitespace(pc.cast(tally.field("values"), pa.string()))
        keep = pc.and_(pc.is_valid(values), pc.not_equal(values, ""))
        values, counts = pc.filter(values, keep), pc.filter(tally.field("counts"), keep)
        if len(values) > 1 and pc.count_distinct(values).as_py() < len(values):
            # Values that differ only by surrounding spaces are one value once trimmed, as in from_array.
            merged = (
                pa.table({"v": values, "n": counts})
                .group_by("v", use_threads=False)
                .aggregate([("n", "sum")])
            )
            values, counts = merged.column("v").combine_chunks(), merged.column("n_sum").combine_chunks()
        return cls(
            name=name,
            label=display_name(name),
            distinct=normalise_array(values),
            counts=counts,
            scanned=len(array),
            filled=int(pc.sum(counts).as_py() or 0),
            numeric=False,
            temporal=False,
            prose=prose,
            counted=True,
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
        """Every distinct value with its count (counted now if the column was kept row by row)."""
        distinct, counts = self.distinct, self.counts
        if not self.counted:
            tally = pc.value_counts(distinct)
            distinct, counts = tally.field("values"), tally.field("counts")
        return list(zip(distinct.to_pylist(), counts.to_pylist(), strict=True))

    def narrowed(self, pattern: str) -> Column:
        """The same column restricted to the distinct values matching `pattern`."""
        distinct, counts = self.match(pattern)
        return replace(self, distinct=distinct, counts=counts)

    def without(self, pattern: str) -> Column:
        """The same column without the distinct values matching `pattern`."""
        keep = pc.invert(pc.match_substring_regex(self.distinct, pattern))
        return replace(self, distinct=pc.filter(self.distinct, keep), counts=pc.filter(self.counts, keep))

    def match(self, pattern: str) -> tuple[pa.Array, pa.Array]:
        """The distinct values matching the RE2 `pattern`, and their counts, still as Arrow arrays."""
        mask = pc.match_substring_regex(self.distinct, pattern)
        return pc.filter(self.distinct, mask), pc.filter(self.counts, mask)

    def finding(
        self,
        kind: Kind,
        *,
        matched: int,
        examples: list[str],
        reason: Reason,
        options: Options,
        detail: str,
    ) -> Finding:
        """A finding of `kind`; `examples` are raw values, masked here, never stored as they are."""
        return Finding(
            column=self.label,
            kind=kind,
            severity=SEVERITY[kind],
            matched=matched,
            scanned=self.scanned,
            reason=reason,
            examples=tuple(
                mask(value, kind) for value in list(dict.fromkeys(examples))[: options.max_examples]
            ),
            detail=detail,
        )

    def finding_from(
        self, kind: Kind, hits: list[tuple[str, int]], reason: Reason, options: Options, detail: str
    ) -> Finding:
        """A finding built from (distinct value, count) pairs."""
        matched = sum(count for _, count in hits)
        examples = [value for value, _ in hits[: options.max_examples]]
        return self.finding(
            kind, matched=matched, examples=examples, reason=reason, options=options, detail=detail
        )
