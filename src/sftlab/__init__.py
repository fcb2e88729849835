"""sftlab: data-centric fine-tuning research on LLM question answering.

All logic lives here; the Snakemake scripts in workflow/scripts are thin adapters around it.
"""

__version__ = "0.1.0"
