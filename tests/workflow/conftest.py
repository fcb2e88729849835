"""Workflow fixtures; the machinery lives in sftlab.testing.workflow."""

import pytest

from sftlab.testing.workflow import Workflow, copy_workflow


@pytest.fixture
def workflow_copy(repo, tmp_path) -> Workflow:
    return copy_workflow(repo, tmp_path / "wf")
