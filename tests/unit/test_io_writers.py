"""The table and text writers of sftlab.io are atomic: a failed write leaves no output behind."""

from __future__ import annotations

import polars as pl
import pytest

from sftlab.io import write_csv, write_text


def test_write_csv_round_trips_and_makes_folders(tmp_path):
    frame = pl.DataFrame({"level": [0, 1], "facts": [3, 4], "name": ["é", "b,c"]})
    path = tmp_path / "deep" / "counts.csv"
    write_csv(path, frame)
    assert pl.read_csv(path).equals(frame)
    assert [p.name for p in path.parent.iterdir()] == ["counts.csv"]  # no temporary file left


def test_failed_csv_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old\n")
    with pytest.raises(pl.exceptions.ComputeError):
        write_csv(path, pl.DataFrame({"nested": [[1, 2]]}))  # CSV cannot hold a list column
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_write_text_is_utf8(tmp_path):
    path = tmp_path / "page.html"
    write_text(path, "<p>Größe</p>\n")
    assert path.read_bytes() == "<p>Größe</p>\n".encode()
