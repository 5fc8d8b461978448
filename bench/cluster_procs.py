"""Processes for bench/cluster.py: obert's own, supervised, and private PostgreSQL and Redis servers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process from /proc (psutil is not a dependency)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def tree_cpu_seconds(roots: list[int]) -> float:
    """User + system CPU seconds of the processes `roots` and all their descendants alive now (with what
    their children that ended were reaped with), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        cpu[pid] = (utime + stime + cutime + cstime) / tick
    wanted = set(roots)
    total = 0.0
    for pid in cpu:
        up = pid
        while up and up not in wanted:
            up = parent.get(up, 0)
        if up:
            total += cpu[pid]
    return total


def named_cpu_seconds(word: str) -> float:
    """CPU seconds of the live processes whose command line holds `word` (PostgreSQL names each
    backend's database in its title, so the backends serving one database can be told apart)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if word.encode() not in (entry / "cmdline").read_bytes():
                continue
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += sum(int(v) for v in fields[11:13]) / tick
    return total


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive() or self.popen is None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


class Supervisor:
    """Restarts dead processes every half second, like `Restart=always`."""

    def __init__(self) -> None:
        self.procs: list[Proc] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)
        self._lock = threading.Lock()

    def add(self, proc: Proc) -> None:
        proc.start()
        with self._lock:
            self.procs.append(proc)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                for proc in self.procs:
                    if not proc.alive():
                        proc.restarts += 1
                        proc.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for proc in self.procs:  # all at once: each may take seconds to finish what it holds
            if proc.alive() and proc.popen is not None:
                proc.popen.send_signal(signal.SIGTERM)
        for proc in self.procs:
            proc.stop()


class PrivatePostgres:
    """A throw-away PostgreSQL server on a spare port, so restarting it harms nobody else."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "pgdata"
        self.port = spare_port()
        self.log = root / "postgres.log"

    def _as_postgres(self, *argv: str) -> None:
        # initdb refuses to run as root: run the server as the distribution's postgres account then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True)

    def start(self) -> None:
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres")
        self._as_postgres("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._pg_ctl("start", "-w")

    def _pg_ctl(self, *action: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._as_postgres("pg_ctl", "-D", str(self.dir), "-l", str(self.log), "-o", options, *action)

    def restart(self) -> None:
        """Stop at once, as a crash would (immediate mode skips the checkpoint), and start again."""
        self._pg_ctl("stop", "-m", "immediate", "-w")
        self._pg_ctl("start", "-w")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop", "-m", "fast", "-w")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


class PrivateRedis:
    def __init__(self, root: Path) -> None:
        self.port = spare_port()
        self.log = root / "redis.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen([*argv, "no"], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def restart(self) -> None:
        """kill -9 and start again on the same port: every counter is lost, as in a crash."""
        self.stop(kill=True)
        self.start()

    def stop(self, kill: bool = False) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.kill() if kill else self.popen.terminate()
            self.popen.wait()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"
