"""Copy-and-paste code that fetches a dataset's metadata or a resource's file, in four languages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Snippet:
    label: str  # the programming language, shown as is in every interface language
    code: str


def _python_literal(url: str) -> str:
    return '"' + url.replace("\\", "\\\\").replace('"', '\\"') + '"'


def json_snippets(url: str) -> list[Snippet]:
    """Fetch a JSON document (the API's record of a dataset or a resource)."""
    quoted = _python_literal(url)
    return [
        Snippet("curl", f"curl -s '{url}'"),
        Snippet(
            "Python",
            "import json\nfrom urllib.request import urlopen\n\n"
            f"with urlopen({quoted}) as response:\n    record = json.load(response)\n"
            'print(record["title"])',
        ),
        Snippet("R", f"library(jsonlite)\nrecord <- fromJSON({quoted})\nprint(record$title)"),
        Snippet(
            "JavaScript",
            f"const response = await fetch({quoted});\nconst record = await response.json();\n"
            "console.log(record.title);",
        ),
    ]


def download_snippets(url: str, *, filename: str, format: str | None) -> list[Snippet]:
    """Download a resource's file, reading it as a table or as GeoJSON where the format says so."""
    quoted = _python_literal(url)
    kind = (format or "").upper()
    if kind == "CSV":
        python = f"import pandas as pd\n\ntable = pd.read_csv({quoted})\nprint(table.head())"
        r = f"table <- read.csv({quoted})\nhead(table)"
        js = f"const response = await fetch({quoted});\nconst text = await response.text();\n" + (
            'const rows = text.trim().split("\\n");\nconsole.log(rows.length - 1, "rows");'
        )
    elif kind in ("GEOJSON", "JSON"):
        python = (
            "import json\nfrom urllib.request import urlopen\n\n"
            f"with urlopen({quoted}) as response:\n    data = json.load(response)\n"
            + ('print(len(data["features"]), "features")' if kind == "GEOJSON" else "print(type(data))")
        )
        r = (
            f"library(sf)\nlayer <- st_read({quoted})\nprint(layer)"
            if kind == "GEOJSON"
            else f"library(jsonlite)\ndata <- fromJSON({quoted})\nstr(data)"
        )
        js = f"const response = await fetch({quoted});\nconst data = await response.json();\n" + (
            'console.log(data.features.length, "features");' if kind == "GEOJSON" else "console.log(data);"
        )
    else:
        python = (
            f"from urllib.request import urlretrieve\n\nurlretrieve({quoted}, {_python_literal(filename)})"
        )
        r = f'download.file({quoted}, {_python_literal(filename)}, mode = "wb")'
        js = f"const response = await fetch({quoted});\nconst blob = await response.blob();"
    return [
        Snippet("curl", f"curl -L -o '{filename}' '{url}'"),
        Snippet("Python", python),
        Snippet("R", r),
        Snippet("JavaScript", js),
    ]


def rows_snippets(url: str) -> list[Snippet]:
    """Read one page of a datastore table's rows (``data``) and how many rows match (``count``)."""
    quoted = _python_literal(url)
    return [
        Snippet("curl", f"curl -s '{url}'"),
        Snippet(
            "Python",
            "import json\nfrom urllib.request import urlopen\n\n"
            f"with urlopen({quoted}) as response:\n    page = json.load(response)\n"
            'print(page["count"], "rows")\nfor row in page["data"]:\n    print(row)',
        ),
        Snippet(
            "R",
            f"library(jsonlite)\npage <- fromJSON({quoted})\nprint(page$count)\nhead(page$data)",
        ),
        Snippet(
            "JavaScript",
            f"const response = await fetch({quoted});\nconst page = await response.json();\n"
            "console.log(page.count, page.data);",
        ),
    ]
