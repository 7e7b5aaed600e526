"""Transformer MLPs → PCA + symbolic surrogates, measured: perplexity, tokens/s, memory.

The SymTorch LLM case study (research/symtorch.md §4.1) as a workflow on Hugging Face causal LMs
(needs the ``llm`` extra, ``transformers``):

* :func:`mlp_paths` -- the MLP module paths of layers (GPT-2 ``transformer.h.{i}.mlp``,
  Llama/Qwen ``model.layers.{i}.mlp``, any model given paths);
* :func:`distill_mlps` -- record, PCA, one search per output component, replace; one call,
  resumable from its session file;
* :func:`measure`, :func:`evaluate_session`, :func:`sweep` -- original, PCA-only, skip-MLP and
  hybrid side by side, and :func:`perplexity_throughput_figure`;
* :func:`train_charlm` / :func:`load_charlm` -- a small char-level GPT-2 trained offline.
"""

from __future__ import annotations

from .charlm import CharTokenizer, corpus, load_charlm, split_ids, train_charlm
from .measure import measure, no_cache, perplexity, throughputs, windows, working_memory
from .paths import MLPPathError, mlp_paths
from .sweep import perplexity_throughput_figure, sweep
from .variants import FusedSurrogate, PCAReconstruction, SkipMLP
from .workflow import distill_mlps, evaluate_session, install, lm_record, variants_of

__all__ = [
    "CharTokenizer",
    "FusedSurrogate",
    "MLPPathError",
    "PCAReconstruction",
    "SkipMLP",
    "corpus",
    "distill_mlps",
    "evaluate_session",
    "install",
    "lm_record",
    "load_charlm",
    "measure",
    "mlp_paths",
    "no_cache",
    "perplexity",
    "perplexity_throughput_figure",
    "split_ids",
    "sweep",
    "throughputs",
    "train_charlm",
    "variants_of",
    "windows",
    "working_memory",
]
