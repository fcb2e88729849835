"""Typed settings of the LLM client: the fields are exactly the keys of the config's `llm:` section.

workflow/schemas/llm.schema.yaml mirrors this class (a unit test keeps the two in step). The API
key is not a setting: only the *name* of the environment variable that holds it is, and the client
reads the variable at call time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sftlab.config import check_llm

# provider prefixes of litellm model strings that speak the OpenAI chat API as they are
OPENAI_COMPATIBLE = ("openai", "hosted_vllm")


class LLMSettings(BaseModel):
    # hide_input_in_errors: a key pasted into api_key_env must not be printed by the error about it
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    model: str = Field(
        "openai/gpt-4o-mini",
        description="Any litellm model string; openai/<name> with api_base for local servers.",
    )
    api_base: str | None = Field(
        None,
        pattern=r"^https?://",
        description="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1.",
    )
    api_key_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable that holds the API key; null: "
        "<PROVIDER>_API_KEY without api_base, no key with one.",
    )
    api_key_file: str | None = Field(
        None,
        description="File whose first line is the API key (mode 600), read at call time; "
        "on SLURM it keeps the key out of the environment that sbatch exports to every job.",
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(1024, ge=1, description="Completion budget per call.")
    top_p: float | None = Field(None, gt=0.0, le=1.0, description="Nucleus sampling; null: unset.")
    seed: int | None = Field(0, description="Provider seed where supported; null: unset.")
    concurrency: int = Field(8, ge=1, description="Requests in flight at once.")
    max_retries: int = Field(
        5, ge=0, description="Retries on 429, 5xx, timeouts, lost connections."
    )
    backoff_base_s: float = Field(1.0, ge=0.0, description="First retry delay; doubles per retry.")
    backoff_max_s: float = Field(60.0, ge=0.0, description="Cap on one retry delay.")
    timeout_s: float = Field(120.0, gt=0.0, description="Timeout of one request.")
    max_failure_rate: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="A job fails when more calls than this fraction fail; it stops as soon "
        "as that is certain.",
    )
    cache_path: str = Field(
        ".sftlab-cache/llm.sqlite",
        description="SQLite answer cache; outside results/ so it survives deleted outputs.",
    )
    json_mode: bool = Field(
        True, description="Ask for response_format json_object (litellm drops it if unsupported)."
    )
    transport: Literal["auto", "litellm", "http"] = Field(
        "auto",
        description="litellm, or http: sftlab's own OpenAI-compatible client (api_base needed); "
        "auto: http for openai/ or hosted_vllm/ models with an api_base, else litellm.",
    )

    @model_validator(mode="after")
    def _cross_key_rules(self) -> LLMSettings:
        check_llm(self.model_dump())  # written once, in the config module
        return self

    def key_variable(self) -> str | None:
        """The variable the key is read from; None: send no key (a custom api_base).

        A provider's own variable (OPENAI_API_KEY for openai/...) is never sent to an api_base
        unless api_key_env names it: a local server, plain http or a proxy would receive it.
        """
        if self.api_key_env is not None:
            return self.api_key_env
        if self.api_base is not None:
            return None
        provider = self.model.partition("/")[0] if "/" in self.model else "openai"
        return f"{provider.upper()}_API_KEY"

    def resolved_transport(self) -> Literal["litellm", "http"]:
        """The transport `auto` stands for with these settings."""
        if self.transport != "auto":
            return self.transport
        provider = self.model.partition("/")[0]
        return "http" if self.api_base and provider in OPENAI_COMPATIBLE else "litellm"

    def served_model(self) -> str:
        """The model name an OpenAI-compatible server knows: the litellm string less its prefix."""
        provider, _, name = self.model.partition("/")
        return name if provider in OPENAI_COMPATIBLE and name else self.model

    def identity(self) -> dict[str, object]:
        """What decides an answer (model and output parameters): a job's rerun trigger.

        Transport, concurrency, retries, timeouts, the cache path and the failure threshold are
        left out, so tuning them never regenerates a set or retrains a model.
        """
        return {"model": self.model, **self.output_params()}

    def output_params(self) -> dict[str, object]:
        """The parameters that change an answer: part of every cache key."""
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "json_mode": self.json_mode,
        }
