"""Fixtures of the integration tests."""

import pytest


@pytest.fixture(params=["litellm", "http"])
def transport(request) -> str:
    """Each LLM test runs through litellm and through sftlab's own http transport."""
    return request.param
