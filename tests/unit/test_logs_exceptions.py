"""capture_exceptions logs uncaught exceptions, of the main thread and of other threads."""

import logging
import sys
import threading

import pytest

from sftlab.logs import capture_exceptions


@pytest.fixture
def hooks():
    saved = sys.excepthook, threading.excepthook
    yield
    sys.excepthook, threading.excepthook = saved


def test_uncaught_exceptions_are_logged_with_traceback(hooks, caplog):
    capture_exceptions(logging.getLogger("test.uncaught"))
    try:
        raise ValueError("bad row 3")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    worker = threading.Thread(target=lambda: 1 / 0, name="worker")
    worker.start()
    worker.join()
    records = [r for r in caplog.records if r.name == "test.uncaught"]
    assert [r.levelno for r in records] == [logging.CRITICAL] * 2
    assert records[0].getMessage() == "uncaught ValueError: bad row 3"
    assert "ZeroDivisionError in thread worker" in records[1].getMessage()
    assert all(r.exc_info and r.exc_info[2] is not None for r in records)  # the traceback
