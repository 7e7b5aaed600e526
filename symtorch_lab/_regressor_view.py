"""PySR-style access to one dim's front: what SymTorch users read from ``pysr_regressor[d]``."""

from __future__ import annotations

import numpy as np

from .front import ParetoFront


class RegressorView:
    """``equations_`` (PySR's columns), ``get_best()``, ``sympy()``, ``latex()``, ``predict``
    over a :class:`ParetoFront`; read-only (the front itself is ``.front``)."""

    def __init__(self, front: ParetoFront):
        self.front = front

    @property
    def equations_(self):
        frame = self.front.to_frame()
        frame["sympy_format"] = [c.expression.sympy() for c in self.front]
        return frame

    def _row(self, index: int | None):
        return self.front.selected if index is None else self.front[index]

    def get_best(self):
        """The pick's row of :attr:`equations_` (a pandas Series)."""
        return self.equations_.iloc[self.front.selected_index]

    def sympy(self, index: int | None = None):
        return self._row(index).expression.sympy()

    def latex(self, index: int | None = None) -> str:
        return self._row(index).expression.latex()

    def predict(self, X, index: int | None = None) -> np.ndarray:
        return self._row(index).expression.numpy(np.asarray(X, dtype=float))

    def __repr__(self) -> str:
        return repr(self.front)
