"""Self-contained HTML pages of tables for the Snakemake report.

The report shows images and HTML inline but offers CSV only as a download, so each study also writes
its result tables as one HTML page (the CSV and parquet files stay the data of record).

    html_page("Silly study", [("Overall", rows), ("Consistency", frame)])
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import polars as pl

Rows = Sequence[dict[str, Any]] | pl.DataFrame
STYLE = (
    "body{font-family:sans-serif;font-size:14px}table{border-collapse:collapse;margin:8px 0}"
    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
    "td:first-child,th:first-child{text-align:left}"
)


def html_table(rows: Rows) -> str:
    """One <table>: a header from the first row's keys, values through `fmt`."""
    if isinstance(rows, pl.DataFrame):
        rows = rows.to_dicts()
    if not rows:
        return "<p>none in this run</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_page(sections: Sequence[tuple[str, Rows]], intro: str = "") -> str:
    """A page of (heading, rows) sections, with an optional introductory paragraph."""
    parts = [f"<p>{html.escape(intro)}</p>"] if intro else []
    parts += [f"<h3>{html.escape(heading)}</h3>{html_table(rows)}" for heading, rows in sections]
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if value != 0 and abs(value) < 0.001:  # small p-values keep their digits
            return f"{value:.2g}"
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)
