"""`python -m obert`: the same command as `obert`."""

from obert.cli import app

app(prog_name="obert")
