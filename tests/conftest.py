"""Test-wide settings: never touch the network, keep torch to the machine's cores."""

import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]

# Tiny models gain nothing from intra-op threads, and on a busy 2-core machine OpenMP spinning makes
# a forward pass ~50x slower with 2 threads than with 1.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark by folder: `-m "not integration"` leaves the hermetic unit tests."""
    for item in items:
        if Path(item.path).parent.name in ("integration", "workflow"):
            item.add_marker(pytest.mark.integration)
