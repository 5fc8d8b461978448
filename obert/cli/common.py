"""What every command shares: plain help, consoles made on first use, settings read from the environment,
and one way to report an obert error and exit."""

from __future__ import annotations

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
