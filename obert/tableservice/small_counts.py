"""Which tables hold statistics about people, and the rule that protects them.

Barcelona's census tables print ``..`` instead of any count under five, so that nobody can be singled out
by a small area and a few categories. A resource marked as statistics about people is served the same
way by the datastore API: in rows and exports, each count column's values from 1 to `min_count` - 1 are
null (zero, "nobody", stays), and every aggregate is computed from those published cells only, so that no
total can give a hidden count back (the rule and its limits: obert.datastore.aggregate). A protected
table without count columns holds a row per person; its aggregates leave out groups of fewer rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from obert.auth import Actor
from obert.catalog.access import load_dataset, require_editor
from obert.catalog.common import now
from obert.catalog.resources import get_resource
from obert.errors import FieldError, Invalid, msg
from obert.storage import Store
from obert.storage.tables.small_counts import small_count_rules
from obert.tableservice.versions import table_state

DEFAULT_MIN_COUNT = 5
MAX_MIN_COUNT = 1000


@dataclass(frozen=True, slots=True)
class Protection:
    statistics_about_people: bool
    min_count: int
    count_columns: tuple[str, ...]

    def masked(self) -> dict[str, int]:
        """Count column → threshold, what rows and exports null out (empty for unprotected tables)."""
        return dict.fromkeys(self.count_columns, self.min_count) if self.statistics_about_people else {}


UNPROTECTED = Protection(False, DEFAULT_MIN_COUNT, ())


def protection_of(conn: Connection, resource_id: str) -> Protection:
    row = conn.execute(
        sa.select(small_count_rules).where(small_count_rules.c.resource_id == resource_id)
    ).first()
    if row is None:
        return UNPROTECTED
    return Protection(True, int(row.min_count), tuple(row.count_columns))


def set_protection(
    *,
    store: Store,
    actor: Actor,
    ref: str,
    statistics_about_people: bool,
    min_count: int = DEFAULT_MIN_COUNT,
    count_columns: list[str] | None = None,
) -> Protection:
    """Mark (or unmark) the resource `ref` as statistics about people; editors of its dataset only.

    Count columns must be integer columns of the table's current version, when it has one.
    """
    resource = get_resource(store=store, actor=actor, ref=ref)
    columns = list(dict.fromkeys(count_columns or []))
    if not 2 <= min_count <= MAX_MIN_COUNT:
        raise Invalid(
            msg("min_count out of range"),
            errors=[
                FieldError(
                    "min_count", msg("must be between 2 and {max_min_count}", max_min_count=MAX_MIN_COUNT)
                )
            ],
        )
    with store.begin() as conn:
        require_editor(actor, load_dataset(conn, actor, resource.dataset_id))
        if not statistics_about_people:
            conn.execute(sa.delete(small_count_rules).where(small_count_rules.c.resource_id == resource.id))
            return UNPROTECTED
        current = table_state(conn, resource.id).current
        if current is not None:
            types = {c["name"]: c["type"] for c in current.report.get("columns", [])}
            wrong = [
                FieldError(
                    f"count_columns[{i}]",
                    f"{c!r} is not a column" if c not in types else f"{c!r} is {types[c]}",
                )
                for i, c in enumerate(columns)
                if types.get(c) != "integer"
            ]
            if wrong:
                raise Invalid(msg("count columns must be integer columns of the table"), errors=wrong)
        values = {
            "min_count": min_count,
            "count_columns": columns,
            "updated_at": now(),
            "updated_by": actor.user_id,
        }
        updated = conn.execute(
            sa.update(small_count_rules)
            .where(small_count_rules.c.resource_id == resource.id)
            .values(**values)
        )
        if updated.rowcount == 0:
            conn.execute(sa.insert(small_count_rules).values(resource_id=resource.id, **values))
    return Protection(True, min_count, tuple(columns))
