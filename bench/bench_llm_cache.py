"""Concurrent first use of the SQLite LLM cache: P processes open one fresh cache file at once.

    python bench/bench_llm_cache.py --trials 30 --processes 12

Each trial starts P processes that wait on one barrier, then each opens a new LLMCache on the
same (not yet existing) file, writes one answer and reads every answer back: what the silly study
does when all its arms start together. Prints failures per trial and the failure ratio; a failure
is any exception (before the fix: "database is locked" at the journal_mode=WAL pragma).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path


def _open_and_write(path: str, index: int, barrier, errors, jitter_s: float) -> None:
    import random

    from sftlab.llm.cache import CachedAnswer, LLMCache

    barrier.wait()
    time.sleep(random.uniform(0, jitter_s))  # jobs start a few ms apart, not in lockstep
    try:
        cache = LLMCache(path)
        cache.put(f"key-{index}", "model", CachedAnswer(f"answer {index}", 1, 1, None))
        cache.get_many([f"key-{index}"])
        cache.close()
    except Exception as error:  # noqa: BLE001 - counted and shown, that is the measurement
        errors.put(f"{type(error).__name__}: {error}")


def trial(processes: int, folder: Path, jitter_s: float = 0.02) -> list[str]:
    """Errors of one trial of `processes` processes opening a fresh cache in `folder`."""
    context = mp.get_context("fork")
    barrier, errors = context.Barrier(processes), context.Queue()
    path = str(folder / "llm.sqlite")
    workers = [
        context.Process(target=_open_and_write, args=(path, i, barrier, errors, jitter_s))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    found = []
    while not errors.empty():
        found.append(errors.get())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--processes", type=int, default=12)
    parser.add_argument("--jitter-ms", type=float, default=20.0, help="spread of start times")
    args = parser.parse_args()
    import sftlab.llm.cache

    print(f"cache module: {sftlab.llm.cache.__file__}")
    failed_trials, failures, start = 0, 0, time.perf_counter()
    for number in range(args.trials):
        with tempfile.TemporaryDirectory() as folder:
            errors = trial(args.processes, Path(folder), args.jitter_ms / 1000)
        failures += len(errors)
        failed_trials += bool(errors)
        if errors:
            print(f"trial {number}: {len(errors)} of {args.processes} failed: {errors[0]}")
    elapsed = time.perf_counter() - start
    opens = args.trials * args.processes
    print(
        f"{failed_trials} of {args.trials} trials failed ({failures} of {opens} opens, "
        f"ratio {failures / opens:.3f}); {elapsed:.1f} s"
    )


if __name__ == "__main__":
    main()
