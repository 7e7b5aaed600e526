"""Everything Jupyter: the browser <-> kernel protocol, the side panel's comm, the ``Lab``.

Why a package of its own: the engine (``symtorch_lab`` minus this package) runs with no
JupyterLab, widgets or IPython installed and never imports from here. Inside: ``protocol``
(every message and state shape, TypedDicts) with ``schema`` (checks JSON against them) and
``protocol_ts`` (generates ``js/src/protocol.ts``); ``coalescer`` (worker-thread changes
published from the kernel thread); ``panel`` (the side panel's comm target, a ``Panel``
object); ``dispatch`` (the one request/response helper and the engine-request dispatcher);
``views`` (engine objects -> protocol snapshots); ``lab`` (the ``Lab`` controller) and
``widgets/`` (anywidget classes: views only).
"""
