"""``FrontWidget``: a Pareto front you can click (complexity vs loss, log scale).

Why: picking an expression is a trade-off between complexity and loss that is easiest to make
by eye. The widget shows the front's points (one trace per output dimension) and writes the
clicked point's expression id to :attr:`FrontWidget.selected`; turning a ``ParetoFront`` into
points, and acting on the pick, is the session's job, not the view's.
"""

from collections.abc import Sequence

import traitlets

from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.schema import ProtocolError, check
from symtorch_lab.ui.widgets.esm_loader import StlWidget
from symtorch_lab.ui.widgets.traits import state_of, synced_traits


class FrontWidget(StlWidget):
    """Scatter of :class:`~symtorch_lab.ui.protocol.FrontPoint` s; clicking one sets ``selected``.

    Parameters
    ----------
    points : list of FrontPoint dicts
        ``{"dim", "complexity", "loss", "id", "text", "latex"}``; ``loss`` must be finite.
    selected : str or None
        Expression id of the chosen point (set by clicks in the browser).
    title : str
        Chart title.
    """

    _stl_kind = traitlets.Unicode("front").tag(sync=True)
    # points, selected, title: one trait per FrontState field, generated from the protocol
    locals().update(synced_traits(P.FrontState))

    def __init__(self, points: Sequence[P.FrontPoint] = (), **kwargs: object) -> None:
        super().__init__(points=list(points), **kwargs)

    @traitlets.validate("points")
    def _check_points(self, proposal: dict) -> list:
        value = [dict(p) for p in proposal["value"]]
        try:
            check(value, list[P.FrontPoint], "FrontWidget.points")
        except ProtocolError as exc:
            raise traitlets.TraitError(exc.message) from None
        return value

    def state(self) -> P.FrontState:
        """The synced state, as the protocol's ``FrontState``."""
        return state_of(self, P.FrontState)  # type: ignore[return-value]
