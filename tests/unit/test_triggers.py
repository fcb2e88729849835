"""Re-run triggers: speed-only keys stay out of the recorded params; library code is digested."""

import pickle

from sftlab.triggers import SOURCE_ROOT, SpeedOnly, code_digest, library_files


def test_speed_only_keys_reach_the_script_but_not_the_record():
    settings = SpeedOnly({"samples": 10, "batch_size": 256}, speed=("batch_size",))
    other = SpeedOnly({"samples": 10, "batch_size": 8}, speed=("batch_size",))
    assert repr(settings) == repr(other) == "{'samples': 10}"
    assert repr(SpeedOnly({"samples": 11, "batch_size": 8}, speed=("batch_size",))) != repr(other)
    copy = pickle.loads(pickle.dumps(settings))  # how Snakemake hands params to a script
    assert copy == {"samples": 10, "batch_size": 256} and repr(copy) == repr(settings)


def test_a_script_depends_on_the_modules_it_imports_and_theirs(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text("import polars\nfrom sftlab.memory.probe import run_probe\n")
    files = {str(path.relative_to(SOURCE_ROOT)) for path in library_files(str(script))}
    assert {"__init__.py", "memory/__init__.py", "memory/probe.py", "evaluate/match.py"} <= files
    assert "train.py" not in files and not any("polars" in f for f in files)


def test_digest_follows_the_script_and_its_library(tmp_path):
    plot, train = tmp_path / "plot.py", tmp_path / "train.py"
    plot.write_text("from sftlab.plots.memory import level_heatmap\n")
    train.write_text("import sftlab.train\n")
    assert code_digest(plot) != code_digest(train)
    assert len(code_digest(plot)) == 16


def test_a_command_line_entry_point_is_no_dependency(tmp_path):
    """sftlab.config's `__main__` block imports the CLI (sftlab.resolve, and through it the cost
    estimator and both study plans); no job runs it, so a job that imports sftlab.config does not
    depend on them. An import inside a function still counts: it runs when the function does."""
    script = tmp_path / "probe.py"
    script.write_text("from sftlab.config import probe_settings\n")
    files = {str(path.relative_to(SOURCE_ROOT)) for path in library_files(str(script))}
    assert "config.py" in files and "memory/levels.py" in files  # lazy import in a function
    assert not {"resolve.py", "costs.py", "silly/plan.py"} & files
    guarded = tmp_path / "guarded.py"
    guarded.write_text('if __name__ == "__main__":\n    import sftlab.train\n')
    assert library_files(str(guarded)) == ()
