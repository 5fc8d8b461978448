"""The SQL store: engine set-up per backend, transactions, and translation of SQLAlchemy errors."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from obert.errors import Conflict, Invalid, Unavailable
from obert.storage.prepared import Prepared
from obert.storage.writers import WriterQueue


class Store:
    """A handle on the catalogue database. `begin()` gives a connection inside one transaction."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = _create_engine(url, echo=echo)
        self._writers = WriterQueue.for_sqlite(self.engine.url.database) if self.backend == "sqlite" else None
        self._read_options: dict[str, Any] = {"obert_read_only": True}
        if self.engine.dialect.name == "postgresql":
            self._read_options["isolation_level"] = "AUTOCOMMIT"
        self._held: weakref.WeakSet[HeldReader] = weakref.WeakSet()
        self._prepared: dict[Hashable, Prepared] = {}

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._turn(), self._translated(), self.engine.begin() as conn:
            yield conn

    def _turn(self) -> AbstractContextManager[object]:
        """SQLite's one writer at a time, in the order they came (see `obert.storage.writers`)."""
        return self._writers.turn() if self._writers is not None else nullcontext()

    @contextmanager
    def read(self, *, snapshot: bool = True) -> Iterator[Connection]:
        """A connection for reading: nothing it does is written (a write inside it is a bug).

        On SQLite, one read-only transaction (it does not take the write lock, and its statements see one
        snapshot). On PostgreSQL each statement runs on its own (autocommit): under READ COMMITTED, the
        default, each statement of a transaction takes its own snapshot anyway, so the statements see
        what they would in one, without a BEGIN and a COMMIT round trip per read (a page makes several).
        Without `snapshot`, SQLite's statements run on their own too (no BEGIN and COMMIT), for a reader
        that, like PostgreSQL's, takes each statement's view as it comes; statements run through
        SQLAlchemy still begin a transaction (ended when the block ends), those run straight on the driver
        (`Prepared`) do not."""
        with (
            self._translated(),
            self.engine.connect().execution_options(**self._read_options) as conn,
        ):
            if snapshot:
                with conn.begin():
                    yield conn
            else:
                yield conn

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError as exc:
            raise Conflict(_integrity_message(exc)) from exc
        except OperationalError as exc:
            raise Unavailable(f"the database is not available: {exc.orig}") from exc
        except DataError as exc:
            # A value the database refuses to hold, which only the request can have brought in: PostgreSQL
            # refuses a NUL character in text and numbers out of its column's range where SQLite stores them.
            reason = (str(exc.orig).splitlines() or ["refused"])[0]
            raise Invalid(f"a value in the request cannot be stored or searched for: {reason}") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise Unavailable("the database connection was lost") from exc
            raise

    def held_reader(self) -> HeldReader:
        """A reader that keeps its connection between uses (see `HeldReader`); closed by `dispose`."""
        reader = HeldReader(self)
        self._held.add(reader)
        return reader

    def prepare(self, statement: sa.Select[Any]) -> Prepared:
        """`statement` compiled once for this store's backend, to run straight on the driver (see
        `obert.storage.prepared`: for short statements on paths that run after every write)."""
        return Prepared(self.engine.dialect, statement)

    def prepared(self, key: Hashable, build: Callable[[], sa.Select[Any]]) -> Prepared:
        """The statement `build()` makes, prepared once for this store and kept under `key` (a name for
        what the statement asks, with whatever decides its shape): for statements every page runs."""
        found = self._prepared.get(key)
        if found is None:
            found = self._prepared.setdefault(key, self.prepare(build()))
        return found

    def analyze(self) -> None:
        """Refresh PostgreSQL's planner statistics after a bulk change (a demo load, a rebuilt index).

        Without them, right after such a load and until autovacuum gets to it, the planner looked up
        search_terms by word through its trigram index instead of its primary key: each edit of a dataset
        then spent 60 ms to a second in the database (a trigram lookup per word of the old text).
        SQLite keeps no statistics unless asked to and plans without them: nothing to do there."""
        if self.backend != "postgresql":
            return
        with self._translated(), self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))

    def ping(self) -> None:
        with self.read() as conn:
            conn.execute(sa.text("SELECT 1"))

    def pool_usage(self) -> tuple[int, int]:
        """Connections of the pool in use and open (in use or idle), for the metrics."""
        pool = self.engine.pool
        in_use = getattr(pool, "checkedout", None)
        idle = getattr(pool, "checkedin", None)
        if in_use is None or idle is None:  # a pool that keeps no count
            return 0, 0
        busy = int(in_use())
        return busy, busy + int(idle())

    def dispose(self) -> None:
        for reader in list(self._held):
            reader.close()
        self.engine.dispose()


class HeldReader:
    """A connection for reading, as `Store.read(snapshot=False)` gives, kept checked out between uses.

    For a reader that runs after every catalogue write (the SPARQL graph's catch-up): taking a
    connection from the pool and giving it back (SQLAlchemy's checkout and reset, and on PostgreSQL the
    pool's pre-ping, a round trip) cost it about a tenth of its work. Each use sees the catalogue as it
    stands, as `read(snapshot=False)` does: a transaction that SQLAlchemy begins inside it is ended when
    the use ends, so no SQLite read snapshot outlives it. A use that fails gives the connection back (the
    pool drops it if it was lost); the next one takes another from the pool, pre-pinged as usual. One
    use at a time: a second thread waits for the first."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._held: list[Connection] = []  # the connection, when one is held
        self._lock = threading.Lock()
        # A reader dropped without `close` gives its connection back to the pool.
        weakref.finalize(self, _give_back, self._held)

    @contextmanager
    def use(self) -> Iterator[Connection]:
        with self._lock, self._store._translated():
            if self._held and (self._held[0].closed or self._held[0].invalidated):
                _give_back(self._held)
            if not self._held:
                self._held.append(self._store.engine.connect().execution_options(**self._store._read_options))
            conn = self._held[0]
            try:
                yield conn
            except BaseException:
                _give_back(self._held)
                raise
            if conn.in_transaction():
                conn.rollback()

    def close(self) -> None:
        with self._lock:
            _give_back(self._held)


def _give_back(held: list[Connection]) -> None:
    while held:
        held.pop().close()


def _create_engine(url: str, *, echo: bool) -> Engine:
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        # Web threads share one file: a generous busy timeout beats "database is locked" errors.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if ":memory:" not in url and url.rstrip("/") != "sqlite:":  # a file, pooled
            # Keep a connection for each thread that may hold one (the web's thread pool has 40): past
            # the default 5, busy moments opened a connection (four PRAGMAs) per request and closed it.
            kwargs["pool_size"] = 40
            kwargs["max_overflow"] = 20
    else:
        # JIT compiling pays off for long analytical queries; the catalogue's are short, and on a large
        # index the planner's estimates cross the JIT threshold and a 5 ms query spends 100 ms compiling.
        kwargs["connect_args"] = {"options": "-c jit=off"}
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _sqlite_on_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Reading the search index through the OS page cache, not copies in a small private one, makes
    # queries over large catalogues markedly cheaper.
    cur.execute("PRAGMA mmap_size=1073741824")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front, so two writers queue instead of failing mid-transaction.
    read_only = conn.get_execution_options().get("obert_read_only", False)
    statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
    # Straight to the driver: through SQLAlchemy's execution path this statement cost as much as the query
    # of a datastore request that follows it. Its errors are wrapped as SQLAlchemy would have.
    try:
        conn.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "an object with that name already exists"
    if "foreign key" in text:
        return "the object refers to something that does not exist, or is still referred to"
    return "the change conflicts with the stored data"
