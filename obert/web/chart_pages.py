"""A dataset's chart across its resources, and every chart's embeddable page, CSV and SVG image.

A dataset whose resources share columns (one file per year) gets one chart of them all: each resource's
published table is read through its handle (obert.tableservice.charts), so visibility, holds and
small-count protection apply to each. The embeddable page is the chart alone, its table alternative and a
link to its source, read as an anonymous visitor whoever asks (a framing page must never see what a
signed-in reader's session shows), framed by the origins `embed_frame_ancestors` allows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from obert.auth import ANONYMOUS, Actor
from obert.catalog import datasets
from obert.catalog.models import Dataset, Resource
from obert.deps import ActorDep, PortalDep
from obert.errors import FieldError, Invalid, NotFound, msg
from obert.faces import content_security_policy
from obert.i18n import translations
from obert.portal import Portal
from obert.tableservice import published
from obert.tableservice.charts import ChartData, chart_choices, dataset_tables
from obert.tableservice.handle import PLAIN_CSV, SPREADSHEET_CSV
from obert.types import LANGS, Lang
from obert.web.chart_svg import SvgWords, chart_svg
from obert.web.charts import ChartForm, chart_csv, chart_form
from obert.web.face import PAGES
from obert.web.respond import page
from obert.web.table_filter import api_filter_params, apply_conditions, condition_params, read_conditions
from obert.web.templating import environment

router = PAGES.router(include_in_schema=False)


def _lang(request: Request) -> Lang:
    lang: Lang = getattr(request.state, "lang", request.app.state.portal.settings.default_lang)
    return lang


def _dataset_form(request: Request, portal: Portal, actor: Actor, dataset: Dataset) -> ChartForm:
    tables = dataset_tables(store=portal.store, actor=actor, tables=portal.tables, dataset=dataset)
    if len(tables) < 2:
        raise NotFound(msg("dataset '{name}' has no tables that share columns", name=dataset.name))
    path = f"/{_lang(request)}/dataset/{dataset.name}/chart"
    return chart_form(tables=tables, params=request.query_params, share=path, base=path)


def _resource_form(
    request: Request, portal: Portal, actor: Actor, ref: str, resource_ref: str
) -> tuple[Dataset, Resource, ChartForm]:
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    resource = next((r for r in dataset.resources if resource_ref in (r.id, r.name)), None)
    if resource is None:
        raise NotFound(msg("no resource '{ref}'", ref=resource_ref))
    table = published.open_version(store=portal.store, actor=actor, tables=portal.tables, ref=resource.id)
    types = {c["name"]: c["type"] for c in table.version.report.get("columns", [])}
    conditions, filters = apply_conditions(table, read_conditions(request.query_params), types)
    applied = [c for c in conditions if c.error is None]
    keep = [(key, value) for key, values in condition_params(applied).items() for value in values]
    path = f"/{_lang(request)}/dataset/{dataset.name}/resource/{resource.id}"
    api = f"{portal.settings.base_url.rstrip('/')}/api/v1/datastore/{resource.id}"
    form = chart_form(
        tables=[table],
        params=request.query_params,
        share=path,
        base=f"{path}/chart",
        filters=filters,
        keep=keep,
        api=api,
        api_query=api_filter_params(filters),
    )
    return dataset, resource, form


def dataset_chart_link(*, portal: Portal, actor: Actor, dataset: Dataset) -> dict[str, Any]:
    """The dataset page's link to its chart across resources (`chart_link`, `chart_tables`), when two
    or more of its tables share a column to group by; a year when they share one."""
    if sum(1 for r in dataset.resources if r.format) < 2:
        return {"chart_link": None, "chart_tables": 0}
    tables = dataset_tables(store=portal.store, actor=actor, tables=portal.tables, dataset=dataset)
    axes = chart_choices(tables).axes if len(tables) > 1 else []
    if not axes:
        return {"chart_link": None, "chart_tables": 0}
    years = [a for a in axes if len(a.columns) == 1 and a.columns[0].meaning == "year"]
    link = f"/dataset/{dataset.name}/chart"
    if years:
        link += f"?{urlencode({'chart_by': years[0].key})}"
    return {"chart_link": link, "chart_tables": len(tables)}


@router.get("/dataset/{ref}/chart", response_class=HTMLResponse)
def dataset_chart(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> HTMLResponse:
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    form = _dataset_form(request, portal, actor, dataset)
    return page(
        request,
        "dataset_chart.html",
        dataset=dataset,
        charts=form,
        titles=_titles(dataset),
        base_url=portal.settings.base_url.rstrip("/"),
    )


def _titles(dataset: Dataset) -> dict[str, dict[str, str]]:
    """Each resource's title by name, for the words that say which tables a chart adds up."""
    return {r.name: r.title for r in dataset.resources if r.title}


@router.get("/dataset/{ref}/chart/embed", response_class=HTMLResponse)
def dataset_chart_embed(request: Request, portal: PortalDep, ref: str) -> HTMLResponse:
    dataset = datasets.get_dataset(store=portal.store, actor=ANONYMOUS, ref=ref)
    form = _dataset_form(request, portal, ANONYMOUS, dataset)
    return _embed(request, portal, form, dataset.title, f"/dataset/{dataset.name}", titles=_titles(dataset))


@router.get("/dataset/{ref}/chart.csv")
def dataset_chart_csv(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> Response:
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    return _csv(request, _dataset_form(request, portal, actor, dataset), dataset.name)


@router.get("/dataset/{ref}/chart.svg")
def dataset_chart_svg(request: Request, portal: PortalDep, actor: ActorDep, ref: str) -> Response:
    dataset = datasets.get_dataset(store=portal.store, actor=actor, ref=ref)
    return _svg(request, _dataset_form(request, portal, actor, dataset), dataset.name)


@router.get("/dataset/{ref}/resource/{resource_ref}/chart/embed", response_class=HTMLResponse)
def resource_chart_embed(request: Request, portal: PortalDep, ref: str, resource_ref: str) -> HTMLResponse:
    dataset, resource, form = _resource_form(request, portal, ANONYMOUS, ref, resource_ref)
    title = {
        lang: f"{dataset.title.get(lang, '')} · {text}" for lang, text in resource.title.items()
    } or dataset.title
    return _embed(request, portal, form, title, f"/dataset/{dataset.name}/resource/{resource.id}")


@router.get("/dataset/{ref}/resource/{resource_ref}/chart.csv")
def resource_chart_csv(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, resource_ref: str
) -> Response:
    _dataset, resource, form = _resource_form(request, portal, actor, ref, resource_ref)
    return _csv(request, form, resource.name)


@router.get("/dataset/{ref}/resource/{resource_ref}/chart.svg")
def resource_chart_svg(
    request: Request, portal: PortalDep, actor: ActorDep, ref: str, resource_ref: str
) -> Response:
    _dataset, resource, form = _resource_form(request, portal, actor, ref, resource_ref)
    return _svg(request, form, resource.name)


def _embed(
    request: Request,
    portal: Portal,
    form: ChartForm,
    title: dict[str, str],
    source: str,
    titles: dict[str, dict[str, str]] | None = None,
) -> HTMLResponse:
    response = page(
        request,
        "chart_embed.html",
        charts=form,
        title=title,
        source=f"/{_lang(request)}{source}",
        titles=titles,
    )
    ancestors = portal.settings.embed_frame_ancestors
    response.headers["Content-Security-Policy"] = content_security_policy(
        portal.settings, frame_ancestors=ancestors
    )
    return response


def _words(request: Request, form: ChartForm) -> tuple[ChartData, Any, list[str]]:
    """The chart, the words its page uses for it (chart/_macros.html) and a name per series."""
    chart = form.chart
    if chart is None:
        raise NotFound(msg("no chart: choose a column to group by (chart_by)"))
    words: Any = environment(_lang(request)).get_template("chart/_macros.html").module
    if chart.series_by:
        series = [_plain(words.series_name(s)) for s in chart.series]
    else:
        series = [_plain(words.measure_label(chart.measure))]
    return chart, words, series


def _plain(markup: Any) -> str:
    # The macros write HTML ("d&#39;Accidents"); a CSV cell or an SVG text is plain text.
    return str(Markup(markup).striptags())


def _csv(request: Request, form: ChartForm, name: str) -> Response:
    chart, words, series = _words(request, form)
    wanted = request.query_params.get("spreadsheet")
    if wanted is not None and wanted not in LANGS:
        raise Invalid(
            msg("unknown spreadsheet language"),
            errors=[FieldError("spreadsheet", msg("one of {choices}", choices=", ".join(LANGS)))],
        )
    style = SPREADSHEET_CSV[wanted] if wanted else PLAIN_CSV
    body = chart_csv(chart, headers=[_plain(words.axis_label(chart.axis)), *series], style=style)
    suffix = f"-{wanted}" if wanted else ""
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-chart{suffix}.csv"'},
    )


def _svg(request: Request, form: ChartForm, name: str) -> Response:
    chart, words, series = _words(request, form)
    lang = _lang(request)
    said = SvgWords(
        title=_plain(words.chart_title(chart)),
        axis=_plain(words.axis_label(chart.axis)),
        measure=_plain(words.measure_label(chart.measure)),
        series=series,
        no_data=translations(lang).gettext("No row to chart."),
    )
    return Response(
        chart_svg(chart, words=said, lang=lang),
        media_type="image/svg+xml",
        headers={"Content-Disposition": f'attachment; filename="{name}-chart.svg"'},
    )
