"""Uploaded files: a full data disk is the server's trouble (503), and leaves no half-written file."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import pytest

from obert.errors import Unavailable
from obert.storage.files import FileStore


def test_a_full_disk_refuses_the_upload_with_503_and_keeps_no_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:  # what the kernel answers when the last block is gone
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("obert.storage.files.os.fsync", full)
    store = FileStore(tmp_path)
    with pytest.raises(Unavailable) as refused:
        store.save(owner_id="r1", filename="taula.csv", stream=io.BytesIO(b"a,b\n1,2\n"), max_bytes=1000)
    assert refused.value.status == 503
    assert "disk is full" in refused.value.message
    assert list((tmp_path / "r1").iterdir()) == []


def test_other_write_failures_are_not_dressed_up_as_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("obert.storage.files.os.fsync", broken)
    with pytest.raises(OSError, match="Input/output"):
        FileStore(tmp_path).save(owner_id="r1", filename="t.csv", stream=io.BytesIO(b"x"), max_bytes=10)
