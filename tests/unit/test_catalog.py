"""What the Snakemake workflow catalog reads besides the workflow: its usage file, config/README.md.

tests/workflow/test_entry_points.py plans the workflow through the catalog's entry point.
"""

import yaml

from sftlab.config import READMES, readme_with_reference, reference_markdown

SCHEMA = "workflow/schemas/config.schema.yaml"


def test_config_readme_carries_the_reference_of_the_schema(repo):
    # README.md's copy: tests/unit/test_config.py; `make docs` writes both (sftlab.config.READMES).
    assert "config/README.md" in READMES
    readme = (repo / "config/README.md").read_text()
    reference = reference_markdown(repo / SCHEMA)
    assert readme == readme_with_reference(readme, reference), "run `make docs`"


def test_the_usage_file_names_a_deployment_the_workflow_supports(repo):
    usage = yaml.safe_load((repo / ".snakemake-workflow-catalog.yml").read_text())["usage"]
    stacks = usage["software-stack-deployment"]
    assert set(stacks) == {"conda", "singularity", "singularity+conda"}
    assert stacks["conda"] is True and any((repo / "envs").glob("*.yaml"))
    assert usage["report"] is True and set(usage["mandatory-flags"]) == {"desc", "flags"}
