"""The SPARQL query page: a form, example queries, and the answer as a table (or, for CONSTRUCT and
DESCRIBE, as Turtle). It asks the same endpoint as /sparql, so the page and the protocol answer alike."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from obert.deps import PortalDep
from obert.errors import ObertError
from obert.sparql import EXAMPLES
from obert.sparql.examples import BY_KEY
from obert.web.face import PAGES
from obert.web.respond import page

router = PAGES.router(include_in_schema=False)


@router.get("/sparql/editor", response_class=HTMLResponse)
async def sparql_page(
    request: Request,
    portal: PortalDep,
    query: Annotated[str | None, Query(max_length=100_000)] = None,
    example: str | None = None,
) -> HTMLResponse:
    chosen = BY_KEY.get(example or "")
    text = query if query is not None else (chosen.query if chosen else EXAMPLES[0].query)
    context: dict[str, Any] = {"examples": EXAMPLES, "query": text, "ran": query is not None}
    status = 200
    if query is not None:
        try:
            reply = await run_in_threadpool(portal.sparql.answer, query=query, format_param=None, accept=None)
        except ObertError as exc:
            context["error"] = exc.message
            status = 400 if exc.status == 422 else exc.status
        else:
            context["truncated"] = reply.truncated
            if reply.form.gives_graph:
                context["graph"] = reply.body.decode("utf-8")
            else:
                context.update(_table(json.loads(reply.body)))
    return page(request, "sparql.html", status_code=status, **context)


def _table(data: dict[str, Any]) -> dict[str, Any]:
    """A SELECT answer as columns and rows of text; an ASK answer as its boolean."""
    if "boolean" in data:
        return {"boolean": data["boolean"]}
    columns = data["head"]["vars"]
    bindings = data["results"]["bindings"]
    rows = [[binding.get(name, {}).get("value", "") for name in columns] for binding in bindings]
    return {"columns": columns, "rows": rows}
