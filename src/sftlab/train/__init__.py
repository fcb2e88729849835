"""Supervised fine-tuning with TRL's SFTTrainer: LoRA (PEFT) or full fine-tuning, on one device or
sharded over several GPUs with accelerate/FSDP.

settings     the `train:` dict -> typed SFTConfig / LoraConfig, precision
data         SFT set loading and validation
checkpoints  fingerprinted, torn-safe resume
run          train_sft: one fine-tune (one process, or one rank of a launch)
launch       the `accelerate launch` command for a multi-GPU fine-tune, and its per-rank entry
"""

from sftlab.train.data import SFTDataError, is_chat_set, load_sft_set
from sftlab.train.run import loss_figure, loss_table, train_sft
from sftlab.train.settings import build_configs, oom_advice

__all__ = [
    "SFTDataError",
    "build_configs",
    "is_chat_set",
    "load_sft_set",
    "loss_figure",
    "loss_table",
    "oom_advice",
    "train_sft",
]
