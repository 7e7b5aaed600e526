"""Output-dimension pruning during training: keep the k most active output dims of a block.

The sparse-latent trick of Cranmer et al. 2020 (a GNN's messages end up in as many dims as the
force has components) as SymTorch ships it (``setup_pruning`` / ``prune`` /
``get_active_dimensions``): a per-step schedule lowers the number of active dims from
``initial_dim`` to ``target_dim`` by ``end_step_frac`` of training; at each scheduled step the
dims with the largest standard deviation over a sample are kept, the others are multiplied
by zero. Distillation then searches the active dims only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

DECAY_RATES = ("exp", "cosine", "linear")
MAX_DIM = 1_000_000  # a saved schedule larger than this is refused before it allocates


@dataclass(frozen=True)
class PruningPlan:
    """What ``setup_pruning`` was given (saved with the model as plain JSON)."""

    initial_dim: int
    target_dim: int
    total_steps: int
    end_step_frac: float = 0.5
    decay_rate: str = "exp"

    def __post_init__(self):
        check(self.initial_dim, self.target_dim, self.total_steps, self.end_step_frac,
              self.decay_rate)  # fmt: skip

    def active_at(self, step: int) -> int:
        """How many dims are active at ``step``."""
        return _count(self, step)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data) -> PruningPlan:
        if not isinstance(data, dict) or set(data) != set(cls.__dataclass_fields__):
            raise ValueError(f"a pruning plan must have the keys {list(cls.__dataclass_fields__)}")
        return cls(**data)


def check(initial_dim, target_dim, total_steps, end_step_frac, decay_rate) -> None:
    for name, value in (("initial_dim", initial_dim), ("target_dim", target_dim),
                        ("total_steps", total_steps)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if initial_dim > MAX_DIM:
        raise ValueError(f"initial_dim {initial_dim} is larger than {MAX_DIM}")
    if target_dim > initial_dim:
        raise ValueError(f"target_dim {target_dim} is larger than initial_dim {initial_dim}")
    if not (isinstance(end_step_frac, int | float) and 0 < end_step_frac <= 1):
        raise ValueError(f"end_step_frac must be in (0, 1], got {end_step_frac!r}")
    if decay_rate not in DECAY_RATES:
        raise ValueError(f"decay_rate {decay_rate!r} is not one of {DECAY_RATES}")


def _count(plan: PruningPlan, step: int) -> int:
    end = max(1, round(plan.end_step_frac * plan.total_steps))
    t = min(max(step, 0), end) / end  # 0 at the start, 1 from the end step on
    if plan.decay_rate == "linear":
        frac = 1 - t
    elif plan.decay_rate == "cosine":
        frac = 0.5 * (1 + math.cos(math.pi * t))
    else:  # exp with rate 3, normalised to reach exactly 0 at t = 1
        frac = (math.exp(-3 * t) - math.exp(-3)) / (1 - math.exp(-3))
    span = plan.initial_dim - plan.target_dim
    return plan.target_dim + round(span * frac)


def schedule(
    initial_dim: int,
    target_dim: int,
    total_steps: int,
    end_step_frac: float = 0.5,
    decay_rate: str = "exp",
) -> dict[int, int]:
    """``{step: number of active dims}`` for every step of training."""
    plan = PruningPlan(initial_dim, target_dim, total_steps, end_step_frac, decay_rate)
    return {step: plan.active_at(step) for step in range(total_steps)}


def keep_most_active(outputs: torch.Tensor, mask: torch.Tensor, k: int) -> torch.Tensor:
    """A new mask with the ``k`` dims of largest std over ``outputs`` rows, among those
    still active in ``mask`` (pruned dims never come back)."""
    rows = outputs.detach().reshape(len(outputs), -1).float()
    if rows.shape[1] != mask.numel():
        raise ValueError(
            f"the block gives {rows.shape[1]} output dims but pruning was set up for "
            f"initial_dim {mask.numel()}"
        )
    std = rows.std(dim=0) if len(rows) > 1 else rows.abs().mean(dim=0)
    std = torch.where(mask.to(std.device), std, torch.full_like(std, -1.0))
    keep = torch.topk(std, k=min(k, int(mask.sum()))).indices
    new = torch.zeros_like(mask)
    new[keep.to(new.device)] = True
    return new
