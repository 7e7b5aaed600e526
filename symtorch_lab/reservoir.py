"""A capped, uniform, reproducible sample of rows from a stream of batches.

Why this module exists: ``record`` must keep memory bounded however many rows a user's forward
passes produce, keep every row equally likely whatever the batch sizes, give the same rows for
the same seed, and cost little inside a forward hook. That sampler is its own concern (it knows
nothing of modules, hooks or options), so it lives here and ``record.py`` only feeds it rows.

The reservoir keeps the rows with the ``capacity`` largest i.i.d. uniform keys: a uniform
sample without replacement of all rows seen (a vectorised equivalent of Algorithm R), whatever
the batch sizes. Once it is full, only the few rows of a batch whose key beats the smallest
kept key are drawn (geometric gaps) and copied to the CPU, so the per-batch cost does not grow
with the batch (``bench/bench_record.py``: about 3 % of a 4096-row MLP forward).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["Reservoir"]


class Reservoir:
    """Rows with the ``capacity`` largest i.i.d. uniform keys, stored on the CPU.

    The buffer has some slack beyond ``capacity``. New rows go into free slots; only when those
    run out does a merge drop the rows outside the top ``capacity`` keys, which just frees their
    slots (no row is moved). A new row can only matter if its key beats ``threshold`` (the
    smallest key kept at the last merge). Once that makes rows rare, which rows beat it is
    planned ahead with geometric gaps (valid until the next merge changes the threshold), so a
    batch costs a lookup in the plan plus copying its few kept rows.

    Why so frugal: the hook runs right after the module's own kernels have evicted the caches,
    and every distinct numpy/torch call then costs tens of microseconds.
    """

    def __init__(self, capacity: int, seed: int) -> None:
        self.capacity, self.n_seen = capacity, 0
        self.limit = capacity + max(capacity // 4, 16)
        self.rng = np.random.default_rng(seed)
        self.keys = np.full(self.limit, -1.0)  # -1 marks a free slot
        self.index = np.zeros(self.limit, dtype=np.int64)
        self.free = np.arange(self.limit)  # free slots, used in order
        self.threshold = 0.0  # keys below it can never reach the top `capacity`
        self.plan_rows, self.plan_keys, self.plan_end = _NO_ROWS, _NO_KEYS, -1
        self.x = np.empty((0, 0), dtype=np.float32)
        self.y = np.empty((0, 0), dtype=np.float32)

    def offer(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Offer the rows of ``x`` (m, d_in) and ``y`` (m, d_out), any device."""
        m, start = x.shape[0], self.n_seen
        self.n_seen += m
        pick, keys = self._candidates(m, start)
        if pick.size == 0:
            return
        x, y = _take_rows(x, pick, m), _take_rows(y, pick, m)
        if pick.size > self.free.size:
            kept = self._merge(keys)  # frees the slots of dropped rows
            pick, keys, x, y = pick[kept], keys[kept], x[kept], y[kept]
            if pick.size == 0:
                return
        slots, self.free = self.free[: pick.size], self.free[pick.size :]
        if self.x.shape[0] < self.limit:  # free slots are ascending: the last is the largest
            self._reserve(int(slots[-1]) + 1, x, y)
        self.x[slots], self.y[slots] = x, y
        self.keys[slots], self.index[slots] = keys, pick + start

    def _candidates(self, m: int, start: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the batch ``[start, start + m)`` whose key beats the threshold, and keys."""
        p = 1.0 - self.threshold
        if p > 0.125:  # dense: draw every key
            keys = self.rng.random(m)
            pick = np.flatnonzero(keys >= self.threshold)
            keys = keys[pick]
        else:  # sparse: this batch's share of the planned rows
            if self.plan_end < start + m:
                self._plan(start, start + m, p)
            n = int(self.plan_rows.searchsorted(start + m))
            pick, keys = self.plan_rows[:n] - start, self.plan_keys[:n]
            self.plan_rows, self.plan_keys = self.plan_rows[n:], self.plan_keys[n:]
        if pick.size > self.capacity:  # only the batch's own top `capacity` can survive
            top = np.argpartition(keys, -self.capacity)[-self.capacity :]
            pick, keys = pick[top], keys[top]
        return pick, keys

    def _plan(self, start: int, end: int, p: float) -> None:
        """Decide rows up to at least ``end``: each beats the threshold with probability p.

        Gaps between such rows are geometric; the plan is redrawn from scratch after a merge,
        which is exact because future draws are independent of everything seen.
        """
        rows, keys = [self.plan_rows], [self.plan_keys]
        if self.plan_end < start:  # no plan for this threshold yet
            rows, keys, self.plan_end = [], [], start
        while self.plan_end < end:
            n = max(1024, int(2 * p * (end - self.plan_end)))
            rows.append(self.plan_end - 1 + np.cumsum(self.rng.geometric(p, n)))
            keys.append(self.threshold + p * self.rng.random(n))
            self.plan_end = int(rows[-1][-1]) + 1
        self.plan_rows, self.plan_keys = np.concatenate(rows), np.concatenate(keys)

    def _merge(self, new_keys: np.ndarray) -> np.ndarray:
        """Keep the top ``capacity`` of stored and new keys; free the rest; mask of new kept."""
        all_keys = np.concatenate([self.keys, new_keys])
        kept = _top_mask(all_keys, self.capacity)
        self.threshold = float(all_keys[kept].min())
        self.free = np.flatnonzero(~kept[: self.limit])
        self.keys[self.free] = -1.0
        self.plan_end = -1  # the plan was drawn for the old threshold
        return kept[self.limit :]

    def _reserve(self, n: int, x: np.ndarray, y: np.ndarray) -> None:
        """Grow the row buffers (geometrically, up to ``limit``) to hold ``n`` rows."""
        have = self.x.shape[0]
        if n <= have:
            return
        rows = min(self.limit, max(n, 2 * have, 1024))
        new_x = np.empty((rows, x.shape[1]), dtype=x.dtype)
        new_y = np.empty((rows, y.shape[1]), dtype=y.dtype)
        if have:
            new_x[:have], new_y[:have] = self.x, self.y
        self.x, self.y = new_x, new_y

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Kept rows in stream order: (x, y, row_index)."""
        kept = np.flatnonzero(self.keys >= 0.0)
        if kept.size > self.capacity:
            kept = kept[_top_mask(self.keys[kept], self.capacity)]
        order = kept[np.argsort(self.index[kept], kind="stable")]
        return self.x[order], self.y[order], self.index[order]


def _top_mask(values: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` largest ``values`` (all of them if there are fewer)."""
    mask = np.zeros(values.size, dtype=bool)
    mask[np.argpartition(values, -k)[-k:] if values.size > k else slice(None)] = True
    return mask


_NO_ROWS, _NO_KEYS = np.empty(0, dtype=np.int64), np.empty(0)


def _take_rows(t: torch.Tensor, pick: np.ndarray, m: int) -> np.ndarray:
    """Rows ``pick`` of ``t`` as CPU numpy (float64 stays float64, the rest become float32)."""
    if t.requires_grad:
        t = t.detach()
    if t.device.type == "cpu" and t.dtype in (torch.float32, torch.float64):
        rows = t.numpy()  # no copy; fancy indexing below copies only the kept rows
        return rows if pick.size == m else rows[pick]
    if pick.size < m:
        t = t.index_select(0, torch.from_numpy(pick).to(t.device))
    return t.to("cpu", torch.float64 if t.dtype == torch.float64 else torch.float32).numpy()
