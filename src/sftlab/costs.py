"""What a plan costs before it runs: GPU-hours and peak disk, from the resolved config alone.

Arithmetic (FLOPs per token): a forward pass 2 P; full fine-tuning 6 P (forward, input and weight
gradients), LoRA 4 P (no weight gradients of the frozen base), + 2 P with gradient checkpointing
(the forward again). Seconds = FLOPs / (GPUs x cluster.gpu_tflops x cluster.mfu) +
cluster.job_overhead_min per job; GPU-hours multiply by the job's GPUs. Counts a parse-time plan
cannot know (facts per memory level, tokens per example) are the constants below, each with where
it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sftlab.config import study_train
from sftlab.memory import plan as memory_plan
from sftlab.resources import GIB, adapter_params, model_size
from sftlab.silly import rules as silly_rules

# EntityQuestions at paper scale: ~97k probed facts, 24 relations (10 in-domain), ~22k test facts.
EQ_FACTS, EQ_TEST_FACTS, EQ_IN_DOMAIN_SHARE = 97_000, 22_000, 10 / 24
MMLU_TEST_ITEMS = 14_042
TOKENS = {  # tokens per example or prompt, by what the study trains and evaluates on
    "memory_example": 32,  # "Q: <question> A: <answer>": EntityQuestions items are < 64 tokens
    "memory_probe_prompt": 16,  # a declarative template with its subject
    "silly_example": 400,  # a rewritten MMLU item with explanation is ~200-400 tokens
    "mc_prompt": 700,  # 5-shot MMLU prompt (0-shot ~150)
}
SAVED_BYTES_PER_PARAM = 2  # full fine-tunes are saved as bf16 safetensors, like hub models
CHECKPOINT_BYTES_PER_PARAM = 12  # fp32 weights 4 + AdamW moments 8


@dataclass
class Cost:
    gpu_hours: dict[str, float] = field(default_factory=dict)  # by stage
    disk_gib: dict[str, float] = field(default_factory=dict)  # by what occupies it
    notes: list[str] = field(default_factory=list)

    @property
    def total_gpu_hours(self) -> float:
        return sum(self.gpu_hours.values())

    @property
    def peak_disk_gib(self) -> float:
        return sum(self.disk_gib.values())


def _hours(flops: float, gpus: int, cluster: dict[str, Any]) -> float:
    seconds = flops / (gpus * cluster["gpu_tflops"] * 1e12 * cluster["mfu"])
    return gpus * (seconds / 3600 + cluster["job_overhead_min"] / 60)


def _demo_facts(config: dict[str, Any]) -> int:
    relations = config["data"]["entityquestions"]
    count = len(relations.get("in_domain") or []) + len(relations.get("ood") or [])
    return config["demo"]["world"]["facts_per_relation"] * max(count, 1)


def _memory_counts(config: dict[str, Any]) -> tuple[int, int, int]:
    """(probed facts, training facts of one level, test facts)."""
    memory = config["memory"]
    levels = len(memory["levels"]["bins"])
    if config["data"]["entityquestions"]["source"] == "demo":
        facts = _demo_facts(config)
        splits = config["demo"]["world"]["splits"]
        return facts, int(facts * splits["train"] * 5 / 9 / levels), int(facts * splits["test"])
    return EQ_FACTS, int(EQ_FACTS * EQ_IN_DOMAIN_SHARE / levels), EQ_TEST_FACTS


def _finetune(cost, config, study, model, examples, tokens, runs) -> None:
    entry = config["models"][model]
    size = model_size(model, entry, config)
    train = study_train(config, study)
    sft, gpus = train["sft"], entry["gpus"]
    per_token = 6 if train["method"] == "full" else 4
    per_token += 2 if sft.get("gradient_checkpointing") else 0
    trained = examples * sft["num_train_epochs"] * min(tokens, sft["max_length"])
    key = f"{study} fine-tunes"
    cost.gpu_hours[key] = cost.gpu_hours.get(key, 0.0) + runs * _hours(
        per_token * size.params * trained, gpus, config["cluster"]
    )
    full = train["method"] == "full"
    trained_params = size.params if full else adapter_params(size, train["lora"]["r"])
    weights = trained_params * (SAVED_BYTES_PER_PARAM if full else 4)  # adapters are saved in fp32
    # Weights a `keep_weights: false` run deletes after its evaluations occupy one running job only.
    kept = weights if train["keep_weights"] else 0.0
    key = f"{study} run weights"
    cost.disk_gib[key] = cost.disk_gib.get(key, 0.0) + runs * kept / GIB
    steps = examples * sft["num_train_epochs"] / sft["per_device_train_batch_size"]
    if steps >= sft["save_steps"]:  # shorter runs write no checkpoint
        running = (trained_params * CHECKPOINT_BYTES_PER_PARAM + weights - kept) / GIB
        key = "one running fine-tune"
        cost.disk_gib[key] = max(cost.disk_gib.get(key, 0.0), running)


def _forward(cost, config, key, model, items, tokens, jobs) -> None:
    size = model_size(model, config["models"][model], config)
    hours = jobs * _hours(2 * size.params * items * tokens, 1, config["cluster"])
    cost.gpu_hours[key] = cost.gpu_hours.get(key, 0.0) + hours


def plan_cost(config: dict[str, Any]) -> Cost:
    """GPU-hours by stage and peak disk by occupant of a validated config."""
    cost = Cost()
    models = set()
    memory, silly = config["memory"], config["silly"]
    if memory["enabled"]:
        facts, level_facts, test_facts = _memory_counts(config)
        probe = memory["probe"]
        templates = 21 if facts == EQ_FACTS else 5  # per relation (config/templates/*.yaml)
        per_level = len(memory_plan.train_levels(memory)) * len(memory["seeds"])
        cost.notes.append(f"memory: {facts:,} facts probed; size 'all' = ~{level_facts:,} facts")
        for model in memory["models"]:
            models.add(model)
            completions = facts * templates * probe["samples"]
            tokens = TOKENS["memory_probe_prompt"] + probe["max_new_tokens"]
            _forward(cost, config, "memory probing", model, completions, tokens, 1)
            for n in memory["sizes"]:
                examples = level_facts if n == "all" else n
                _finetune(
                    cost, config, "memory", model, examples, TOKENS["memory_example"], per_level
                )
            runs = 1 + per_level * len(memory["sizes"])  # + the base model
            qa_tokens = TOKENS["memory_probe_prompt"] + config["evaluate"]["qa"]["max_new_tokens"]
            # one job per run, over every test set (together the test facts)
            _forward(cost, config, "memory evaluations", model, test_facts, qa_tokens, runs)
    if silly["enabled"]:
        arms = silly_rules.study_arms(silly)
        items = MMLU_TEST_ITEMS if config["data"]["mmlu"]["source"] != "demo" else 1000
        for model in silly["models"]:
            models.add(model)
            runs = len(arms) * len(silly["seeds"])
            _finetune(
                cost, config, "silly", model, silly["source"]["size"], TOKENS["silly_example"], runs
            )
            _forward(cost, config, "silly evaluations", model, items, TOKENS["mc_prompt"], runs + 1)
    cost.disk_gib["base models"] = sum(
        model_size(m, config["models"][m], config).params * SAVED_BYTES_PER_PARAM / GIB
        for m in models
        if config["models"][m].get("hub_id")
    )
    return cost
