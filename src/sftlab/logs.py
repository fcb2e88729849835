"""Logging setup for rule scripts, secret redaction, and a progress reporter with rate and ETA.

An uncaught exception in a rule script is printed by Python on stderr, which Snakemake shows on the
console but never writes to the rule's log file; `capture_exceptions` (installed by
`setup_logging`) logs it with its traceback, so `logs/<rule>/...` says why the job failed.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_inner_factory = logging.getLogRecordFactory()  # the factory ours wraps (set when installed)


def redact(text: str) -> str:
    """`text` with every registered secret replaced by "***" (call before any truncation)."""
    for secret in tuple(_secrets):  # a snapshot: another thread may register a key meanwhile
        text = text.replace(secret, "***")
    return text


def register_secret(secret: str) -> None:
    """Scrub `secret` from every log record from now on, whatever logger or handler emits it.

    A record factory rather than a logger filter: filters on a logger miss records of its child
    loggers, and handler filters miss handlers added later (a test's, a library's). The factory
    also formats the traceback and stack once, redacted, where formatters would print them raw.
    """
    if len(secret) < 8:  # a real key is 20+ characters; short strings would scrub ordinary words
        return
    global _inner_factory
    with _secrets_lock:
        _secrets.add(secret)
        current = logging.getLogRecordFactory()
        if current is not _redacting_record:  # wrap whatever is installed, once
            _inner_factory = current
            logging.setLogRecordFactory(_redacting_record)


def _redacting_record(*args, **kwargs) -> logging.LogRecord:
    record = _inner_factory(*args, **kwargs)
    try:
        record.msg, record.args = redact(record.getMessage()), None
    except (TypeError, ValueError):  # bad %-arguments: logging reports them when it emits
        record.msg = redact(str(record.msg))
    if record.exc_info and record.exc_info[0] is not None:
        # Formatter.format uses exc_text as it is when set: the traceback is printed redacted
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def setup_logging(log_path: str | Path | None = None, level: int = logging.INFO) -> None:
    """Log to `log_path` (the rule's log file) and to stderr; route warnings into the log."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path is not None:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(level=level, format=FORMAT, handlers=handlers, force=True)
    logging.captureWarnings(True)
    capture_exceptions()


def capture_exceptions(logger: logging.Logger | None = None) -> None:
    """Log uncaught exceptions (main thread and other threads) with their traceback.

    The record goes through the logging handlers, the log file and stderr, so the traceback is
    printed once; Ctrl-C keeps Python's own handling. The exit status stays 1.
    """
    log = logger or logging.getLogger("sftlab.uncaught")

    def main_hook(kind, error, trace):
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        log.critical("uncaught %s: %s", kind.__name__, error, exc_info=(kind, error, trace))

    def thread_hook(args):
        if args.exc_type is SystemExit:
            return
        log.critical(
            "uncaught %s in thread %s: %s",
            args.exc_type.__name__,
            getattr(args.thread, "name", "?"),
            args.exc_value,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = main_hook
    threading.excepthook = thread_hook


class Progress:
    """Periodic log lines `label: done/total (pct) rate/s, ETA` for long loops."""

    def __init__(
        self,
        total: int,
        label: str,
        unit: str = "items",
        every_s: float = 10.0,
        logger: logging.Logger | None = None,
    ):
        self.total = total
        self.label = label
        self.unit = unit
        self.every_s = every_s
        self.log = logger or logging.getLogger("sftlab.progress")
        self.done = 0
        self.start = time.perf_counter()
        self._last = self.start

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self._last >= self.every_s or self.done >= self.total:
            self._last = now
            self.log.info(self.line(now))

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.perf_counter()) - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        eta = f"{left:.0f}s" if left != float("inf") else "?"
        return (
            f"{self.label}: {self.done}/{self.total} {self.unit} ({pct:.1f}%), "
            f"{rate:.1f} {self.unit}/s, elapsed {elapsed:.0f}s, ETA {eta}"
        )
