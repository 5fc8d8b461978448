"""The catalogue's scores, kept in each process between requests and re-scored only where something changed.

Scoring a catalogue means loading every dataset whole: 41 s of CPU at 100,000 datasets, which each
request to /api/v1/quality used to pay, anonymous ones included. A dataset's score depends on its own
metadata and live resources (every change to either moves its `updated_at`, see obert.catalog) and on what
its external URLs last answered. So a score is kept with that time and those answers, and a request
re-scores, in batches, only the datasets whose time moved or whose URLs now answer otherwise; the last
few answers (sorted, summed) are kept whole for a request that finds nothing changed.

The times are read from the database on every request, so each process answers for the catalogue as it
is now, whoever changed it; a dataset that is private, withdrawn or deleted is simply not among the times
read for an actor who may not see it, and its kept score is never shown.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from obert.catalog.browse import datasets_by_id
from obert.catalog.models import Dataset
from obert.quality.linkcheck import known_statuses
from obert.quality.links import KnownStatuses, LinkStatus, answers
from obert.quality.score import DatasetScore, Summary, consulted_urls, score_dataset, summarize
from obert.storage.per_engine import PerEngine

BATCH = 500  # datasets loaded and scored at a time
ANSWERS = 4  # whole answers kept (the catalogue's, a publisher's, an editor's…)

Stamps = Sequence[
    tuple[str, Any]
]  # (dataset id, mark of its last change), as obert.catalog.browse reads them


@dataclass(frozen=True, slots=True)
class _Kept:
    changed: Any  # the dataset's mark when it was scored
    urls: tuple[str, ...]  # the external URLs the score asked about
    answered: tuple[bool, ...]  # whether each answered then
    score: DatasetScore

    def holds(self, changed: Any, links: LinkStatus) -> bool:
        return changed == self.changed and all(
            answers(links.status(url)) is was for url, was in zip(self.urls, self.answered, strict=True)
        )


@dataclass(frozen=True, slots=True)
class Scored:
    """The scores of some datasets, worst first, and their average."""

    scores: list[DatasetScore]
    summary: Summary


class KeptScores:
    """One process's scores of one catalogue database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, _Kept] = {}
        self._answers: deque[tuple[Stamps, KnownStatuses, Scored]] = deque(maxlen=ANSWERS)

    def scored(self, conn: Connection, stamps: Stamps, *, base_url: str) -> Scored:
        """The scores of the datasets `stamps` names, as `conn` reads the catalogue now."""
        with self._lock:
            links = known_statuses(conn)
            for was, known, answer in self._answers:
                if known is links and was == stamps:
                    return answer
            stale = [(i, c) for i, c in stamps if (k := self._kept.get(i)) is None or not k.holds(c, links)]
            marks = dict(stale)
            for start in range(0, len(stale), BATCH):
                for dataset in datasets_by_id(conn, [i for i, _ in stale[start : start + BATCH]]):
                    self._keep(dataset, marks[dataset.id], links, base_url)
            if len(self._kept) > 2 * len(stamps) + BATCH:
                self._forget_all_but({i for i, _ in stamps})
            scores = [self._kept[i].score for i, _ in stamps if i in self._kept]
            scores.sort(key=lambda s: (s.points, s.dataset_name))
            answer = Scored(scores, summarize(scores))
            self._answers.append((list(stamps), links, answer))
            return answer

    def _keep(self, dataset: Dataset, changed: Any, links: LinkStatus, base_url: str) -> None:
        urls = consulted_urls(dataset)
        self._kept[dataset.id] = _Kept(
            changed=changed,
            urls=urls,
            answered=tuple(answers(links.status(url)) for url in urls),
            score=score_dataset(dataset, base_url=base_url, links=links),
        )

    def _forget_all_but(self, ids: set[str]) -> None:
        # Deleted datasets (or another actor's many private ones) would otherwise stay here for good.
        self._kept = {i: k for i, k in self._kept.items() if i in ids}


kept_scores = PerEngine(KeptScores)  # this process's kept scores of the catalogue an engine reads
