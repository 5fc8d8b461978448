"""The public catalogue graph that SPARQL queries read: a copy derived from the SQL store, kept in step
with it by reading the activity log.

The SQL store is the only source of truth; this graph is rebuilt from it and never written by anyone else.
Each serving process holds its own copy in memory and is the only writer of it, so processes never share a
store file and any number of them, on any number of machines, stay correct on SQLite and on PostgreSQL
alike. Every change to the catalogue already appends a row to the activity log in its own transaction, so
keeping in step costs a catalogue write nothing: before a query, the process reads the rows after the last
one it applied (one indexed query, usually empty) and derives again the datasets they name, as they are
now (a withdrawn, deleted or private dataset leaves the graph). A `sparql`/`rebuild` row, appended by
`obert sparql rebuild`, makes every process rebuild its copy.

A process starts from the snapshot in the data dir when there is a usable one (`snapshot`): it loads the
file and reads the log since, instead of deriving every dataset again. `obert sparql rebuild` writes the
snapshot and then asks the serving processes to rebuild; its row says which log position the snapshot
covers, so a process loads the file rather than deriving the catalogue itself, and a process whose graph
already covers that position (it started from that snapshot) has nothing to do. A process that had to
build its graph from the catalogue writes a snapshot when it finds none usable, so that the next start
is quick.

On PostgreSQL, ids are taken from a sequence when a row is inserted but become visible when its
transaction commits, so a row may appear after rows with higher ids. An id not seen yet is remembered as a
gap and asked for again until it appears or has been missing for `GAP_SECONDS` (a rolled-back transaction
leaves a gap for ever).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import ANONYMOUS
from obert.auth.audit import append
from obert.catalog.access import visible_to
from obert.catalog.models import Organization, OrganizationRef
from obert.catalog.organizations import list_organizations
from obert.catalog.rows import datasets_from_rows
from obert.dcat.context import CatalogInfo
from obert.errors import ObertError, Unavailable, msg
from obert.sparql import marks, snapshot
from obert.sparql.derive import (
    DatasetQuads,
    KnownDistributions,
    KnownLinks,
    derive,
    distributions_graph,
    graph_name,
)
from obert.storage import Store
from obert.storage.tables.catalog import activity, datasets, resources

GAP_SECONDS = 60.0  # longer than any catalogue transaction: an id missing for longer was rolled back
BATCH = 500  # datasets derived at a time
LOG_BATCH = 5000  # activity rows read at a time
REBUILD_OBJECT = "sparql"  # the activity row `obert sparql rebuild` appends
REBUILD_ACTION = "rebuild"
# Past this many datasets to derive again, a rebuild is no dearer and leaves nothing behind.
REBUILD_THRESHOLD = 20_000
FIRST_BUILD_WAIT = 20.0  # seconds a query waits for a process's first graph before it is told to retry
# How far back a new graph's position starts: ids this close to the top that are not visible yet (on
# PostgreSQL, transactions still open while the graph was read) are waited for as gaps.
RECENT_IDS = 1000
JOURNAL = 64  # generations whose changed named graphs are remembered, for the warm query children
# Past this many changed named graphs a warm child is forked again rather than sent them: applying them
# would eat into the query's time budget.
MOST_CHANGES = 2000
log = logging.getLogger(__name__)

# The catch-up's statements, made once (building a statement costs about what running it does here).
# The log's and one dataset's are also compiled once for the store (`CatalogueGraph.__init__`).
_LOG_AFTER = (
    sa.select(activity.c.object_type, activity.c.object_id, activity.c.action, activity.c.id)
    .where(activity.c.id > sa.bindparam("after"))
    .order_by(activity.c.id)
    .limit(LOG_BATCH)
)
_PUBLIC_DATASETS = sa.select(datasets).where(
    datasets.c.id.in_(sa.bindparam("ids", expanding=True)), visible_to(ANONYMOUS)
)
_PUBLIC_DATASET = sa.select(datasets).where(datasets.c.id == sa.bindparam("id"), visible_to(ANONYMOUS))
_DATASETS_OF_RESOURCES = sa.select(resources.c.dataset_id).where(
    resources.c.id.in_(sa.bindparam("ids", expanding=True))
)


@dataclass(slots=True)
class _Position:
    """How far this copy has read the activity log: every id up to `floor` is applied, and so are
    `seen` (ids above it); `gaps` are the ids above it not seen yet, with when they were first missed."""

    floor: int = 0
    seen: set[int] = field(default_factory=set)
    gaps: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a copy of the graph at an older generation needs to reach `generation`: the named graphs
    to empty, and their quads now (N-Quads)."""

    generation: int
    graphs: list[str]
    quads: bytes


@dataclass(frozen=True, slots=True)
class SyncReport:
    rebuilt: bool
    derived: int  # datasets derived again (or, after a rebuild, in the graph)


class CatalogueGraph:
    """One process's copy of the public catalogue graph (see the module's docstring)."""

    def __init__(self, *, store: Store, info: CatalogInfo, snapshot: Path | None = None) -> None:
        self._store = store
        self._info = info
        self._snapshot = snapshot  # where this catalogue's snapshot is kept (None: no snapshots)
        self._graph: ox.Store | None = None
        self._position = _Position()
        self._base = 0  # the log position the graph was built (or its snapshot written) at
        self._loaded_datasets = 0
        self._lock = threading.RLock()
        self._build_lock = threading.Lock()  # one build at a time
        self._ready = threading.Event()  # set once the first build is in
        self._builder: threading.Thread | None = None
        # Read again on a rebuild and whenever the log shows an organisation changed.
        self._publisher_cache: dict[str, Organization] | None = None
        # Counts the changes applied: an answer computed at one generation stays true until the next.
        self.generation = 0
        # The named graphs each recent generation changed (a swapped-in graph starts the journal anew).
        self._journal: dict[int, set[ox.NamedNode]] = {}
        self._links = KnownLinks()  # the anonymous reader's download links, between catch-ups
        self._distributed = KnownDistributions()  # whose distributions a change to its fields keeps
        self._stated = Stated()
        # The two statements every catch-up runs, straight on the driver (`obert.storage.prepared`), on a
        # connection of its own kept between catch-ups.
        self._reader = store.held_reader()
        self._log_after = store.prepare(_LOG_AFTER)
        self._public_dataset = store.prepare(_PUBLIC_DATASET)

    def current_generation(self) -> int:
        """The generation of the graph as the catalogue stands now (changes logged so far applied)."""
        self.sync()
        return self.generation

    @contextmanager
    def current(self) -> Iterator[ox.Store]:
        """The graph as the catalogue stands now, held still (no writer changes it) while in use."""
        self.sync()
        with self._lock:
            assert self._graph is not None
            yield self._graph

    def sync(self) -> SyncReport:
        """Apply the catalogue changes logged since the last call.

        The first call starts the graph in a thread of its own (from the snapshot, else built from the
        catalogue) and waits for it at most `FIRST_BUILD_WAIT` seconds (then `Unavailable`): a large
        catalogue takes minutes to derive, and no request should hang that long. A rebuild asked for in
        the log is built (or loaded) beside the graph in use, which goes on answering queries until the
        new one is swapped in."""
        if self._graph is None:
            self._first_build()
        with self._lock:
            try:
                report, asked, position = self._caught_up()
            except Unavailable:
                # The kept connection was lost (the database restarted since the last catch-up), and
                # given back: once more, on one the pool checks first. Deriving a dataset again is
                # harmless, and the position moves only once a catch-up has been applied whole.
                report, asked, position = self._caught_up()
            if report is not None:
                return report
            if not asked or max(asked) <= self._base:  # too many datasets to derive again: rebuilt
                return self.rebuild()
            self._position = position  # the other threads stop seeing the request
        return self.renew(at_least=max(asked))

    def _caught_up(self) -> tuple[SyncReport | None, list[int], _Position]:
        """The catch-up, if the log asks for no rebuild: its report (None: too much to derive), the
        rebuilds asked for and the log position read."""
        # The log and the datasets it names are read with one connection (kept between catch-ups), each
        # statement seeing the catalogue as it stands when it runs, on either backend (no transaction: its
        # BEGIN and COMMIT cost SQLite a twentieth of a catch-up). A dataset read newer than the log is
        # derived as it is now; the change that made it newer is in the log the next call reads, and is
        # derived again then (and forgets the links or distributions it makes stale).
        with self._reader.use() as conn:
            rows, position = self._read_log(conn)
            asked = self._covered(conn, [r.id for r in rows if _asks_rebuild(r)])
            if asked and max(asked) > self._base:
                return None, asked, position
            return self._catch_up(conn, rows, position), asked, position

    def start(self) -> None:
        """Start the graph in the background (a serving process calls this when it starts)."""
        with self._lock:
            if self._graph is None and (self._builder is None or not self._builder.is_alive()):
                self._builder = threading.Thread(
                    target=self._start_quietly, name="obert-sparql-build", daemon=True
                )
                self._builder.start()

    def renew(self, *, at_least: int = 0) -> SyncReport:
        """A new graph swapped in: the snapshot's, when it covers the log up to `at_least`, else rebuilt."""
        with self._build_lock:
            if self._base >= at_least and self._graph is not None and at_least:
                return SyncReport(False, 0)  # another thread has just renewed it
            if self._snapshot is not None and self._load(at_least):
                return SyncReport(True, self._loaded_datasets)
        return self.rebuild(write_snapshot=self._snapshot_stale(at_least))

    def rebuild(self, *, write_snapshot: bool = False) -> SyncReport:
        """Build the whole graph again from the catalogue and swap it in; with `write_snapshot`, write
        it to the snapshot file first."""
        with self._build_lock:
            position, top = self._recent_position()
            graph = ox.Store()
            count = 0
            publishers = self._read_publishers()
            links = KnownLinks()  # the new graph's: the catch-ups after the swap start from them
            distributed = KnownDistributions()
            stated = Stated()
            for batch in self._public_batches():
                derived = derive(
                    batch,
                    store=self._store,
                    info=self._info,
                    publishers=publishers,
                    known=links,
                    distributed=distributed,
                )
                self._apply(graph, derived, stated)
                count += len(batch)
            marks.refresh(graph, self._info, marks.every_category(graph))
            if write_snapshot and self._snapshot is not None:
                tag = snapshot.Tag(
                    floor=position.floor,
                    seen=tuple(sorted(position.seen)),
                    last_id=top,
                    last_at=snapshot.activity_time(self._store, top),
                    fingerprint=snapshot.fingerprint(self._info),
                    datasets=count,
                )
                snapshot.write(self._snapshot, graph, tag)
            with self._lock:
                # Changes logged after the position were perhaps applied to the old graph: read again.
                self._swap(graph, position, top, links, distributed, stated)
                self._publisher_cache = publishers
            self._ready.set()
            return SyncReport(True, count)

    @property
    def base(self) -> int:
        """The log position the graph in use was built at (a snapshot's, when it was loaded from one)."""
        return self._base

    def _load(self, at_least: int) -> bool:
        assert self._snapshot is not None
        loaded = snapshot.load(self._snapshot, store=self._store, info=self._info, at_least=at_least)
        if loaded is None:
            return False
        graph, tag = loaded
        with self._lock:
            position = _Position(tag.floor, set(tag.seen))
            self._swap(graph, position, tag.top, KnownLinks(), KnownDistributions(), Stated())
            self._publisher_cache = None
        self._loaded_datasets = tag.datasets
        return True

    def _swap(
        self,
        graph: ox.Store,
        position: _Position,
        base: int,
        links: KnownLinks,
        distributed: KnownDistributions,
        stated: Stated,
    ) -> None:
        # The links and distributions come with the graph they were derived for: the log after `position`
        # is read again, and forgets whichever of them it names.
        self._links = links
        self._distributed = distributed
        self._stated = stated
        self._graph = graph
        self._position = position
        self._base = base
        self.generation += 1
        self._journal = {}

    def changes_since(self, generation: int) -> Changes | None:
        """What a copy made at `generation` lacks to be the graph in use (None: too old, or another graph
        was swapped in since; such a copy is made anew)."""
        with self._lock:
            wanted = range(generation + 1, self.generation + 1)
            if self._graph is None or any(g not in self._journal for g in wanted):
                return None
            names: set[ox.NamedNode] = set()
            for g in wanted:
                names |= self._journal[g]
            if len(names) > MOST_CHANGES:
                return None
            quads = [q for name in names for q in self._graph.quads_for_pattern(None, None, None, name)]
            data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) if quads else b""
            return Changes(self.generation, sorted(n.value for n in names), data or b"")

    def _snapshot_stale(self, at_least: int) -> bool:
        """Whether a graph built here should be written as the snapshot: none usable covers the log."""
        if self._snapshot is None:
            return False
        tag = snapshot.read_tag(self._snapshot)
        return (
            tag is None or tag.top < at_least or not snapshot.usable(tag, store=self._store, info=self._info)
        )

    def _recent_position(self) -> tuple[_Position, int]:
        """The position of a graph about to be read from the catalogue, and the log's top id: ids close
        to the top that are visible now are applied by the read; those not visible yet are gaps."""
        with self._store.read() as conn:
            top = conn.execute(sa.select(sa.func.max(activity.c.id))).scalar() or 0
            floor = max(0, top - RECENT_IDS)
            seen = set(conn.execute(sa.select(activity.c.id).where(activity.c.id > floor)).scalars())
        return _Position(floor=floor, seen=seen), top

    def _first_build(self) -> None:
        self.start()
        self._ready.wait(FIRST_BUILD_WAIT)
        if self._graph is None:
            raise Unavailable(msg("the catalogue's SPARQL graph is being built; try again in a minute"))

    def _start_quietly(self) -> None:
        try:
            if self._snapshot is not None and self._load(0):
                self.sync()  # the log since the snapshot, before queries are let in
                self._ready.set()
            else:
                self.rebuild(write_snapshot=self._snapshot_stale(0))
        except ObertError as exc:  # the next query starts another attempt
            log.warning("the SPARQL graph could not be built: %s", exc.message)

    @property
    def size(self) -> int:
        with self._lock:
            return len(self._graph) if self._graph is not None else 0

    def _catch_up(self, conn: Connection, rows: list[Any], position: _Position) -> SyncReport | None:
        """Derive again the datasets `rows` name (read with `conn`); None when they are so many that
        the caller should rebuild the graph instead."""
        changed: set[str] = set()
        organizations: set[str] = set()
        resource_ids: set[str] = set()
        for row in rows:
            if row.object_type == "dataset":
                changed.add(row.object_id)
            elif row.object_type in ("resource", "resource_version"):
                resource_ids.add(row.object_id)
            elif row.object_type == "organization":
                organizations.add(row.object_id)
        if organizations:
            self._publisher_cache = None
        # Before anything is derived: a link or distribution kept from before a change to its resource
        # is never used.
        self._links.forget(resource_ids)
        reached = self._datasets_of(conn, resource_ids, organizations)
        self._distributed.forget(reached)
        changed |= reached
        if len(changed) > REBUILD_THRESHOLD:
            self._position = position
            return None
        if changed:
            touched = self._refresh(conn, sorted(changed))
            self.generation += 1
            self._journal[self.generation] = touched
            self._journal.pop(self.generation - JOURNAL, None)
        # Moved on only once the changes are in: a failure above leaves them to the next call.
        self._position = position
        return SyncReport(False, len(changed))

    def _read_log(self, conn: Connection) -> tuple[list[Any], _Position]:
        """The activity rows not applied yet, and the position past them."""
        old = self._position
        now = time.monotonic()
        seen = set(old.seen)
        gaps = {gap: since for gap, since in old.gaps.items() if now - since <= GAP_SECONDS}
        seen |= old.gaps.keys() - gaps.keys()  # given up on: counted as applied, so the floor moves on
        new: list[Any] = []
        highest = max([old.floor, *seen])
        after = old.floor
        while True:
            rows = self._log_after.rows(conn, after=after)
            new += [row for row in rows if row.id not in seen]
            if rows:
                highest = max(highest, rows[-1].id)
                after = rows[-1].id
            if len(rows) < LOG_BATCH:
                break
        seen |= {row.id for row in new}
        for missing in range(old.floor + 1, highest):
            if missing not in seen:
                gaps.setdefault(missing, now)
            else:
                gaps.pop(missing, None)
        floor = min(gaps) - 1 if gaps else highest
        return new, _Position(floor, {i for i in seen if i > floor}, gaps)

    def _covered(self, conn: Connection, requests: list[int]) -> list[int]:
        """The log positions these rebuild requests ask a graph to cover: each one's snapshot's, else its
        own id (read here, not with the log: the other rows' after-images are large)."""
        if not requests:
            return []
        rows = conn.execute(sa.select(activity.c.id, activity.c.after).where(activity.c.id.in_(requests)))
        found = []
        for row in rows:
            covered = row.after.get("covered") if isinstance(row.after, dict) else None
            found.append(covered if isinstance(covered, int) else int(row.id))
        return found

    def _datasets_of(self, conn: Connection, resource_ids: set[str], organizations: set[str]) -> set[str]:
        if not resource_ids and not organizations:
            return set()
        found: set[str] = set()
        for chunk in _chunks(sorted(resource_ids)):
            found |= set(conn.execute(_DATASETS_OF_RESOURCES, {"ids": list(chunk)}).scalars())
        for chunk in _chunks(sorted(organizations)):
            query = sa.select(datasets.c.id).where(datasets.c.organization_id.in_(chunk))
            found |= set(conn.execute(query).scalars())
        return found

    def _refresh(self, conn: Connection, ids: Sequence[str]) -> set[ox.NamedNode]:
        """Derive these datasets again (read with `conn`); returns the named graphs that changed."""
        assert self._graph is not None
        publishers = self._publishers()
        changed: set[ox.NamedNode] = set()
        for chunk in _chunks(ids, BATCH):
            rows: Sequence[Any]
            if len(chunk) == 1:  # most catch-ups: a statement without an expanding list is quicker to run
                rows = self._public_dataset.rows(conn, id=chunk[0])
            else:
                rows = conn.execute(_PUBLIC_DATASETS, {"ids": list(chunk)}).all()
            known = _refs(rows, publishers)
            # Read without their resources first: those whose distributions are kept need none.
            bare = datasets_from_rows(conn, rows, known=known, with_resources=False)
            kept = {d.id: has for d in bare if (has := self._distributed.kept(d)) is not None}
            again = [row for row in rows if row.id not in kept]
            found = [d for d in bare if d.id in kept]
            found += datasets_from_rows(conn, again, known=known) if again else []
            derived = derive(
                found,
                store=self._store,
                info=self._info,
                publishers=publishers,
                conn=conn,
                known=self._links,
                kept=kept,
                distributed=self._distributed,
            )
            self._distributed.forget({*chunk} - {row.id for row in rows})  # no longer public
            names = [graph_name(self._info, dataset_id) for dataset_id in chunk]
            names += [distributions_graph(self._info, i) for i in chunk if i not in kept]
            # The HVD categories these datasets had and have: the services' marks of those may change.
            touched = marks.categories_in(self._graph, names)
            for name in names:
                self._graph.clear_graph(name)
            changed |= {*names, *self._apply(self._graph, derived, self._stated)}
            touched |= marks.categories_in(self._graph, names)
            if touched:
                marks.refresh(self._graph, self._info, touched)
                changed |= {marks.marks_graph(service) for service in marks.services(self._info)}
        return changed

    def _public_batches(self) -> Iterator[list]:  # type: ignore[type-arg]
        last = ""
        while True:
            with self._store.read() as conn:
                rows = conn.execute(
                    sa.select(datasets)
                    .where(visible_to(ANONYMOUS), datasets.c.id > last)
                    .order_by(datasets.c.id)
                    .limit(BATCH)
                ).all()
                if not rows:
                    return
                found = datasets_from_rows(conn, rows)
            yield found
            last = rows[-1].id

    def _publishers(self) -> dict[str, Organization]:
        if self._publisher_cache is None:
            self._publisher_cache = self._read_publishers()
        return self._publisher_cache

    def _read_publishers(self) -> dict[str, Organization]:
        out: dict[str, Organization] = {}
        cursor: str | None = None
        while True:
            page = list_organizations(store=self._store, limit=1000, cursor=cursor)
            out.update((o.id, o) for o in page.items)
            if not page.next:
                return out
            cursor = page.next

    @staticmethod
    def _apply(graph: ox.Store, derived: Iterable[DatasetQuads], stated: Stated) -> set[ox.NamedNode]:
        """Add the derived quads (in one step: each call into the store costs); returns the shared
        subjects' graphs replaced. A shared subject stated as `stated` says the graph holds it is left
        as it is."""
        seen: set[ox.NamedNode] = set()
        replaced: set[ox.NamedNode] = set()
        quads: list[ox.Quad] = []
        for item in derived:
            quads += item.own
            if item.distributions is not None:
                quads += item.distributions
            for subject, said in item.shared.items():
                if subject in seen:
                    continue
                seen.add(subject)
                if stated.get(subject) == said:
                    continue
                graph.clear_graph(subject)
                quads += said
                replaced.add(subject)
                stated.keep(subject, said)
        graph.extend(quads)
        return replaced


class Stated(dict[ox.NamedNode, list[ox.Quad]]):
    """What a graph holds of each shared subject (a concept, a publisher, a service), as last stated, so a
    catch-up does not replace it with the same statements. Only `CatalogueGraph._apply` writes these
    subjects' graphs; an entry missing (emptied when full) only means the subject is stated again."""

    MOST = 50_000

    def keep(self, subject: ox.NamedNode, quads: list[ox.Quad]) -> None:
        if len(self) >= self.MOST:
            self.clear()
        self[subject] = quads


def _asks_rebuild(row: Any) -> bool:
    return bool(row.object_type == REBUILD_OBJECT and row.action == REBUILD_ACTION)


def request_rebuild(*, store: Store, actor_id: str | None = None, covered: int | None = None) -> None:
    """Ask every serving process to rebuild its graph (each does so before its next query); `covered` is
    the log position of a snapshot just written, which the processes load instead of building."""
    with store.begin() as conn:
        append(
            conn,
            actor_id=actor_id,
            action=REBUILD_ACTION,
            object_type=REBUILD_OBJECT,
            object_id="graph",
            after={"covered": covered} if covered is not None else None,
        )


def _refs(rows: Sequence[Any], publishers: dict[str, Organization]) -> dict[str, OrganizationRef]:
    """The organisations of `rows` that the publishers read already hold (not read again)."""
    return {
        o.id: OrganizationRef(id=o.id, name=o.name, title=o.title)
        for o in (publishers.get(row.organization_id) for row in rows if row.organization_id)
        if o is not None
    }


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
