"""A byte-level BPE tokenizer trained on the demo corpus, wrapped as a transformers tokenizer.

Special tokens: <s> (bos, prepended to every encoded text, as Llama tokenizers do), </s> (eos) and
<pad>. The SFT markers of the memory study ("<|question|>", "<|answer|>") and the chat-role markers
("<|system|>", "<|user|>", "<|assistant|>") are added as ordinary, non-special tokens: each is a
single token whatever surrounds it, and it survives `decode(..., skip_special_tokens=True)`, like
the plain-text markers of the paper's format. None of them occurs in the pretraining corpus; SFT
teaches them (the answer marker starts part of the way toward the corpus's answer cue:
sftlab.demo.pretrain.prime_answer_marker).
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

BOS, EOS, PAD = "<s>", "</s>", "<pad>"
ANSWER_MARKER = "<|answer|>"
MARKERS = ("<|question|>", ANSWER_MARKER, "<|system|>", "<|user|>", "<|assistant|>")

# Role-tagged turns, one per line; eos ends each assistant turn; {% generation %} marks the tokens
# that TRL's assistant_only_loss trains on.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "<|assistant|> {% generation %}{{ message['content'] }}{{ eos_token }}{% endgeneration %}"
    "{% else %}"
    "<|{{ message['role'] }}|> {{ message['content'] }}\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 1024) -> PreTrainedTokenizerFast:
    """Train byte-level BPE of `vocab_size` (special tokens included) on `texts`."""
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[BOS, EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(texts, trainer=trainer)
    bos_id = core.token_to_id(BOS)
    core.post_processor = processors.TemplateProcessing(
        single=f"{BOS}:0 $A:0",
        pair=f"{BOS}:0 $A:0 {BOS}:1 $B:1",
        special_tokens=[(BOS, bos_id)],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        padding_side="left",
        model_max_length=2048,
        clean_up_tokenization_spaces=False,
    )
    tokenizer.add_tokens(list(MARKERS))
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer
