"""Workflow fixtures; the machinery lives in workflow_helpers.py (importable by test modules)."""

import pytest
from workflow_helpers import Workflow, copy_workflow


@pytest.fixture
def workflow_copy(repo, tmp_path) -> Workflow:
    return copy_workflow(repo, tmp_path / "wf")
