"""A rule script's uncaught exception lands in the rule's log file, not only on stderr.

Runs a real rule script (summarise_run) through Snakemake's `script:` machinery on a file it must
reject, in a one-rule workflow (seconds).
"""

from __future__ import annotations

import json
import subprocess
import sys


def test_uncaught_exception_reaches_the_rule_log(repo, tmp_path):
    (tmp_path / "accuracy.json").write_text(json.dumps({"accuracy": 0.5}))
    script = repo / "workflow/scripts/summarise_run.py"
    (tmp_path / "Snakefile").write_text(
        "rule summarise_run:\n"
        "    input:\n"
        '        memory=["accuracy.json"],\n'
        "    output:\n"
        '        json="run_stats.json",\n'
        '        html="run_stats.html",\n'
        "    log:\n"
        '        "logs/summarise_run.log",\n'
        "    script:\n"
        f'        "{script}"\n'
    )
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--snakefile", "Snakefile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode != 0
    log = (tmp_path / "logs/summarise_run.log").read_text()
    assert "CRITICAL" in log and "uncaught ValueError" in log, log
    assert "accuracy.json: not a run statistics file" in log, log
    assert "Traceback (most recent call last)" in log and "summarise_run.py" in log, log
    assert not (tmp_path / "run_stats.json").exists()
