"""The activity log is append-only: no code path updates or deletes it, and the service offers neither."""

from __future__ import annotations

import ast
from pathlib import Path

import obert
from obert.auth import audit

ROOT = Path(obert.__file__).parent


def _writes_to_activity(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        # activity.update(), activity.delete(), sa.update(activity), sa.delete(activity), raw SQL
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if (
                node.func.attr in ("update", "delete")
                and isinstance(target, ast.Name)
                and target.id == "activity"
            ):
                found.append(f"activity.{node.func.attr}()")
            if node.func.attr in ("update", "delete") and any(
                isinstance(a, ast.Name) and a.id == "activity" for a in node.args
            ):
                found.append(f"{node.func.attr}(activity)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            if "update activity" in text or "delete from activity" in text or "truncate activity" in text:
                found.append(repr(node.value))
    return found


def test_no_code_path_updates_or_deletes_activity_rows() -> None:
    offenders = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        found = _writes_to_activity(ast.parse(path.read_text(), filename=str(path)))
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_the_detector_would_notice_an_update() -> None:
    sample = "activity.update().where(x)\nsa.delete(activity)\nconn.execute(text('DELETE FROM activity'))"
    assert len(_writes_to_activity(ast.parse(sample))) == 3


def test_the_audit_service_offers_no_way_to_change_history() -> None:
    public = {name for name in dir(audit) if not name.startswith("_") and callable(getattr(audit, name))}
    writers = {
        n for n in public if any(w in n.lower() for w in ("update", "delete", "remove", "purge", "edit"))
    }
    assert writers == set()
    assert "append" in public
