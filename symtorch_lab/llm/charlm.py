"""A small character-level causal LM on an offline corpus, built from ``transformers`` classes.

Weights cannot be downloaded everywhere, so the LLM workflow has a model that trains here: a
GPT-2 (``GPT2LMHeadModel``, so the real Hugging Face module paths ``transformer.h.{i}.mlp`` are
exercised) over the characters of ``pydoc_data.topics`` (the help texts that ship with Python,
~465k characters). Saved with ``save_pretrained`` plus a ``chars.json`` vocabulary, loaded with
:func:`load_charlm`; ``symtorch-lab train-charlm --out models/charlm`` trains one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch

VOCAB_FILE = "chars.json"


def corpus() -> str:
    """The help topics shipped with Python, in a fixed order (the offline corpus)."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


@dataclass(frozen=True)
class CharTokenizer:
    """Characters to ids and back; unknown characters map to id 0 (the rarest kept one)."""

    chars: str

    @classmethod
    def fit(cls, text: str) -> CharTokenizer:
        return cls("".join(sorted(set(text))))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        index = {c: i for i, c in enumerate(self.chars)}
        return torch.tensor([index.get(c, 0) for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def save(self, folder) -> None:
        Path(folder, VOCAB_FILE).write_text(json.dumps({"chars": self.chars}))

    @classmethod
    def load(cls, folder) -> CharTokenizer:
        data = json.loads(Path(folder, VOCAB_FILE).read_text())
        if not isinstance(data, dict) or not isinstance(data.get("chars"), str):
            raise ValueError(f"{Path(folder, VOCAB_FILE)}: expected {{'chars': str}}")
        return cls(data["chars"])


def split_ids(tokenizer: CharTokenizer, text: str | None = None, val_fraction: float = 0.1):
    """``(train_ids, val_ids)``: the corpus encoded, the last ``val_fraction`` held out."""
    ids = tokenizer.encode(corpus() if text is None else text)
    cut = int(len(ids) * (1 - val_fraction))
    return ids[:cut], ids[cut:]


def build(vocab_size: int, *, n_layer=4, n_embd=128, n_head=4, n_positions=128, seed=0):
    """A fresh ``GPT2LMHeadModel`` for characters (no dropout, no key/value cache)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=vocab_size,
        n_positions=n_positions,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        use_cache=False,
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPT2LMHeadModel(config)


def train_charlm(
    out=None,
    *,
    steps: int = 2000,
    n_layer: int = 4,
    n_embd: int = 128,
    n_head: int = 4,
    seq: int = 128,
    batch: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    log=print,
):
    """Train the char LM for ``steps`` AdamW steps on random windows; save to ``out`` if given.

    Returns ``(model, tokenizer)``; the model is left in eval mode.
    """
    tokenizer = CharTokenizer.fit(corpus())
    train, _ = split_ids(tokenizer)
    model = build(
        tokenizer.vocab_size,
        n_layer=n_layer,
        n_embd=n_embd,
        n_head=n_head,
        n_positions=seq,
        seed=seed,
    )
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    start = time.perf_counter()
    for step in range(steps):
        starts = torch.randint(0, len(train) - seq, (batch,), generator=gen)
        ids = torch.stack([train[s : s + seq] for s in starts.tolist()])
        loss = model(input_ids=ids, labels=ids).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if log and (step % max(steps // 10, 1) == 0 or step == steps - 1):
            log(
                f"step {step + 1}/{steps}  loss {loss.item():.3f} nats/char  "
                f"{time.perf_counter() - start:.0f}s"
            )
    model.eval()
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        model.save_pretrained(out)
        tokenizer.save(out)
    return model, tokenizer


def load_charlm(folder):
    """``(model, tokenizer)`` saved by :func:`train_charlm` (eval mode, local files only)."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    return model.eval(), CharTokenizer.load(folder)


def main(argv: list[str]) -> int:
    """``symtorch-lab train-charlm --out DIR [--steps N --layers L --width D --seq T]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="symtorch-lab train-charlm", description=__doc__)
    parser.add_argument("--out", default="models/charlm", help="folder to save the model in")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model, tokenizer = train_charlm(
        args.out,
        steps=args.steps,
        n_layer=args.layers,
        n_embd=args.width,
        n_head=args.heads,
        seq=args.seq,
        batch=args.batch,
    )
    from .measure import perplexity

    _, val = split_ids(tokenizer)
    ppl = perplexity(model, val[:20000], window=args.seq)
    print(
        f"saved to {args.out}: validation perplexity {ppl:.3f} ({torch.tensor(ppl).log():.3f} "
        "nats/char on the first 20,000 held-out characters)"
    )
    return 0
