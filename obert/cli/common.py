"""What every command shares: plain help, consoles made on first use, settings read from the environment,
and one way to report an obert error and exit."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from obert.errors import ObertError
    from obert.settings import Settings

# Help in plain text: Typer's Rich help (Markdown, syntax highlighting, pretty tracebacks) costs more to
# import than the rest of `obert --help` put together.
PLAIN: dict[str, Any] = {"no_args_is_help": True, "rich_markup_mode": None}


class _LazyConsole:
    """A Rich console made the first time a command prints, so that `--help` does not import Rich."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


console = _LazyConsole()
err = _LazyConsole(stderr=True)


def load_settings(**overrides: object) -> Settings:
    from obert.settings import Settings

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        err.print(f"[red]configuration error:[/] {exc}")
        raise typer.Exit(2) from None


def fail(exc: ObertError) -> NoReturn:
    err.print(f"[red]error:[/] {exc.message}")
    for field_error in exc.errors:
        err.print(f"  {field_error.field}: {field_error.message}")
    raise typer.Exit(1)


# Arrow's allocator for obert's own processes (see arrow_allocator).
ARROW_MEMORY_POOL = "jemalloc"


def arrow_allocator() -> None:
    """Make Arrow allocate with jemalloc in this process, unless told otherwise.

    pyarrow's default allocator here, mimalloc, hands freed memory back to the system at once and takes
    it again page by page: the personal-data scan of a million rows spent 0.4-0.5 s of system time in
    page faults on its first run in a process (0.12-0.14 s with jemalloc, the same work; 0.9 against
    1.3 cpu-s in all) and more on every later one. Chosen through Arrow's own variable before pyarrow is
    imported, so a value the operator set wins, and only when this process is the ``obert`` command: a
    program that runs commands inside it keeps its own choice.
    """
    if "pyarrow" not in sys.modules and Path(sys.argv[0]).name in ("obert", "__main__.py"):
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", ARROW_MEMORY_POOL)
