"""Notebook widgets: anywidget views over engine objects (no maths here).

All widgets share one front-end bundle (``widgets.js`` in the lab extension's static folder,
plotly.js inside), served once per page by the JupyterLab extension; see
:mod:`symtorch_lab.ui.widgets.esm_loader`.
"""

from symtorch_lab.ui.widgets.boundary import BoundaryWidget
from symtorch_lab.ui.widgets.esm_loader import StlWidget, esm_mode, set_esm_mode
from symtorch_lab.ui.widgets.front import FrontWidget

__all__ = ["BoundaryWidget", "FrontWidget", "StlWidget", "esm_mode", "set_esm_mode"]
