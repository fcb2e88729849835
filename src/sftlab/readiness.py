"""Is this machine ready for the selected config? Checked before any job is queued.

    python -m sftlab.readiness [--configfile A.yaml ...]   # prints the report; exit 1 if not ready

Hard requirements (a run refuses to start, naming the first that fails; Snakefile `onstart`):
every model is a local folder, built by the workflow, or fetched into the Hugging Face cache (or the
hub answers, when not offline); the LLM API key is set where an LLM stage will run; the working
folder's free disk holds the plan's peak. Reported for information: GPU-hours, and the LLM tokens
and cost of the silly study's calls (litellm's price table where it knows the model).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sftlab.config import ConfigError
from sftlab.costs import GIB, plan_cost
from sftlab.layout import built_by_demo
from sftlab.llm.settings import LLMSettings
from sftlab.silly.plan import uses_llm
from sftlab.silly.rules import rule_ids

# Tokens per LLM call of the silly study: a rewrite prompt (rule definition, example, MMLU item)
# is ~500 tokens in and ~300 out (llm.max_tokens caps it); a lens analysis or consolidation of
# Ruozhiba questions is ~3,000 in and ~1,000 out.
REWRITE_TOKENS = (500, 300)
ANALYSIS_TOKENS = (3000, 1000)
RUOZHIBA_ROWS = 240  # the paper's source (m-a-p/COIG-CQIA ruozhiba)


class NotReady(RuntimeError):
    """A hard requirement of the run fails; the message names it and the fix."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    hard: bool = True


def _model_check(name: str, entry: dict[str, Any], config: dict[str, Any]) -> Check:
    if entry.get("path"):
        path = str(entry["path"])
        built = built_by_demo(path) and config["demo"].get("enabled")
        ok = Path(path).is_dir() or bool(built)
        detail = "built by the workflow" if built else path
        missing = f"{path} does not exist (models.{name}.path)"
        return Check(f"model {name}", ok, detail if ok else missing)
    from sftlab.fetch import is_fetched

    hub_id = entry["hub_id"]
    if is_fetched(hub_id, entry.get("revision")):
        return Check(f"model {name}", True, f"{hub_id} fetched")
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false"):
        return Check(
            f"model {name}",
            False,
            f"{hub_id} not fetched and HF_HUB_OFFLINE is set: run `snakemake fetch_models` where "
            f"there is network (HF_TOKEN for gated models), or set models.{name}.path",
        )
    return Check(f"model {name}", True, f"{hub_id} not fetched yet: fetch_model downloads it")


def llm_usage(config: dict[str, Any]) -> tuple[int, int, int]:
    """(calls, input tokens, output tokens) of the silly study's LLM stages, before caching."""
    silly = config["silly"]
    if not silly["enabled"] or not uses_llm(silly):
        return 0, 0, 0
    calls = tokens_in = tokens_out = 0
    if silly["rules"]["source"] == "llm":
        rules = silly["rules"]
        rows = min(RUOZHIBA_ROWS, rules.get("max_items") or RUOZHIBA_ROWS)
        analyses = len(rules["lenses"]) * -(-rows // rules["batch_size"]) + 1  # + consolidation
        calls += analyses
        tokens_in += analyses * ANALYSIS_TOKENS[0]
        tokens_out += analyses * ANALYSIS_TOKENS[1]
    if silly["generator"]["kind"] == "llm":
        n_rules = len(rule_ids(silly["rules"]))
        rewrites = silly["source"]["size"] * (n_rules + 1)  # every rule + the neutral control
        calls += rewrites
        tokens_in += rewrites * REWRITE_TOKENS[0]
        tokens_out += rewrites * REWRITE_TOKENS[1]
    return calls, tokens_in, tokens_out


def llm_price(model: str) -> tuple[float, float] | None:
    """USD per (input, output) token from litellm's table; None where it does not know the model."""
    from sftlab.llm._litellm import litellm  # the local price table, no fetch from GitHub

    try:
        info = litellm().get_model_info(model)
    except Exception:  # litellm raises a bare Exception for unknown models
        return None
    price = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    return price if None not in price else None


def _key_check(llm: dict[str, Any]) -> Check:
    """The LLM key is where the client will read it: llm.api_key_file, or the variable
    LLMSettings.key_variable names (none for a custom api_base without api_key_env)."""
    settings = LLMSettings(**llm)
    if settings.api_key_file is not None:
        path = Path(settings.api_key_file).expanduser()
        return Check("LLM API key", path.is_file(), f"llm.api_key_file {path} for {settings.model}")
    variable = settings.key_variable()
    if variable is None:
        return Check("LLM API key", True, f"none sent to {settings.api_base} (no api_key_env)")
    return Check("LLM API key", bool(os.environ.get(variable)), f"${variable} for {settings.model}")


def checks(config: dict[str, Any], workdir: str | Path = ".", info: bool = True) -> list[Check]:
    """The readiness checks of a validated config (`info`: with GPU-hours, LLM tokens and cost)."""
    used = {m for s in ("memory", "silly") if config[s]["enabled"] for m in config[s]["models"]}
    out = [_model_check(name, config["models"][name], config) for name in sorted(used)]
    calls, tokens_in, tokens_out = llm_usage(config)
    llm = config["llm"]
    if calls:
        out.append(_key_check(llm))
    cost = plan_cost(config)
    folder = Path(workdir).resolve()
    while not folder.exists():  # an output root not created yet: the disk it will be on
        folder = folder.parent
    free = shutil.disk_usage(folder).free / GIB
    peak = cost.peak_disk_gib
    detail = f"{free:,.0f} GiB free in {folder}, plan peak {peak:,.1f} GiB"
    out.append(Check("disk", free >= peak, detail))
    if not info:
        return out
    out.append(Check("GPU-hours", True, f"{cost.total_gpu_hours:,.1f}", hard=False))
    if calls:
        price = llm_price(llm["model"])
        usd = f"~${tokens_in * price[0] + tokens_out * price[1]:,.0f}" if price else "price unknown"
        detail = f"{calls:,} calls, ~{tokens_in:,} in + {tokens_out:,} out tokens, {usd} (uncached)"
        out.append(Check("LLM tokens and cost", True, detail, hard=False))
    return out


def report(found: list[Check]) -> str:
    marks = {
        (True, True): "ok",
        (True, False): "info",
        (False, True): "FAIL",
        (False, False): "warn",
    }
    return "\n".join(f"[{marks[c.ok, c.hard]:>4}] {c.name}: {c.detail}" for c in found)


def require(config: dict[str, Any], workdir: str | Path = ".") -> None:
    """Raise NotReady naming every failing hard requirement."""
    failed = [c for c in checks(config, workdir, info=False) if c.hard and not c.ok]
    if failed:
        lines = "\n".join(f"  - {c.name}: {c.detail}" for c in failed)
        raise NotReady(f"not ready to run ({len(failed)} requirement(s) failing):\n{lines}")


def main(argv: list[str] | None = None) -> int:
    from sftlab.resolve import config_from_args

    try:
        config = config_from_args("python -m sftlab.readiness", argv)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    found = checks(config, config.get("workdir") or ".")
    print(report(found))
    return 1 if any(c.hard and not c.ok for c in found) else 0


if __name__ == "__main__":
    sys.exit(main())
