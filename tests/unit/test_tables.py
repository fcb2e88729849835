"""HTML tables for the Snakemake report."""

import polars as pl

from sftlab.tables import fmt, html_page, html_table


def test_cells_are_escaped_and_formatted():
    table = html_table([{"name": "<b>x</b>", "p": 1.234e-5, "acc": 0.5, "ids": [1, 2], "q": None}])
    assert "&lt;b&gt;x&lt;/b&gt;" in table and "<b>" not in table
    assert "<td>1.2e-05</td><td>0.5</td><td>1, 2</td><td></td>" in table


def test_frames_empty_sections_and_pages():
    frame = pl.DataFrame({"a": [1, 2], "b": ["u", "v"]})
    assert html_table(frame).count("<tr>") == 3
    assert html_table([]) == "<p>none in this run</p>"
    page = html_page([("First", frame), ("Second", [])], intro="a & b")
    assert page.startswith("<!DOCTYPE html>") and "<p>a &amp; b</p>" in page
    assert page.count("<h3>") == 2


def test_fmt():
    assert [fmt(v) for v in (0.0, 1234.5, 0.1239, 3, True)] == [
        "0",
        "1,234.5",
        "0.124",
        "3",
        "True",
    ]
