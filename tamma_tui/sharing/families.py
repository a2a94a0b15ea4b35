"""Model names -> coarse families. A model name can itself identify a team (a fine-tune's
name, a private deployment), so only a fixed list of public families ever leaves; fine-tunes
become "fine-tuned" and anything unknown becomes "other"."""

from __future__ import annotations

import re

FINE_TUNED = "fine-tuned"
OTHER = "other"

#: (family, pattern matched at a word start of the lower-cased model name), first wins.
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("codellama", r"code-?llama"),
    ("llama", r"llama"),
    ("qwen", r"qwen"),
    ("deepseek", r"deepseek"),
    ("mistral", r"(mistral|mixtral|codestral|devstral)"),
    ("gemma", r"gemma"),
    ("phi", r"phi-?\d"),
    ("starcoder", r"starcoder"),
    ("claude", r"claude"),
    ("gemini", r"gemini"),
    ("gpt", r"(gpt|o\d)(-|$)"),
    ("simulated", r"sim-"),
)
_FINE_TUNE = re.compile(r"(^ft:|:ft-|[-_:]ft[-_:]|fine-?tun|finetun|-lora\b|-sft\b|-dpo\b)")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*b\b")


def model_family(model: str) -> str:
    name = (model or "").strip().lower()
    if _FINE_TUNE.search(name):
        return FINE_TUNED
    base = name.rsplit("/", 1)[-1]  # "org/Qwen2.5-7B" -> the model part only
    for family, pattern in _FAMILIES:
        if re.match(rf"(?:.*[^a-z])?{pattern}", base):
            return family
    return OTHER


def model_size_bucket(model: str) -> str:
    """Parameter count class when the name states it (":7b", "-70B"), else "unknown"."""
    match = _SIZE.search((model or "").lower())
    if not match:
        return "unknown"
    size = float(match.group(1))
    if size <= 3:
        return "<=3B"
    if size <= 9:
        return "4-9B"
    if size <= 40:
        return "10-40B"
    return ">40B"
