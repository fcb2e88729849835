"""A small run of `python -m sftlab.silly.calibration` (the full one is measured in the README)."""

import json

import numpy as np
import polars as pl

from sftlab.silly import calibration


def test_small_calibration_prints_one_json_line_last(capsys):
    result = calibration.main(["--sims", "2", "--subjects", "8", "--items", "40", "--rules", "3"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == result
    assert set(result["fpr"]) == {"0.0", "0.15", "0.3"}
    assert all(0.0 <= fpr <= 0.3 for fpr in result["fpr"].values())  # 2 x 24 null cells each
    assert abs(result["consistency_null"]) < 1.0  # 6 null worlds of 8 subjects: sd ~0.15
    assert 0.0 <= result["consistency_power"] <= 1.0
    assert result["world"] == {"subjects": 8, "items": 40, "seeds": 3, "rules": 3}


def test_simulated_runs_carry_the_planted_effect():
    world = calibration.World(subjects=4, items=200, rules=2)
    effects = np.array([[0.0, 0.0, 2.0, -2.0], [0.0, 0.0, 0.0, 0.0]])
    runs = calibration.simulate_runs(np.random.default_rng(0), 0.0, effects, world)
    assert runs.height == (world.rules + 1) * world.seeds * world.subjects * world.items
    acc = runs.group_by("arm", "subject").agg(pl.col("correct").mean()).sort("arm", "subject")
    by = {(a, s): v for a, s, v in acc.iter_rows()}
    assert by[("r1", "s02")] - by[("plain", "s02")] > 0.2
    assert by[("r1", "s03")] - by[("plain", "s03")] < -0.2
    assert abs(by[("r2", "s02")] - by[("plain", "s02")]) < 0.1
