"""What every benchmark writes beside its printed table: the machine it ran on and a JSON file.

Why: ratios measured on these shared 2-core machines only mean something next to the load they
ran under, so each result file records the cores, the platform and the 1-minute load average.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    """Cores, platform and 1-minute load average of this run."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "load_avg_1min": load}


def save(report: dict[str, Any], out: Path) -> None:
    """Write ``report`` as JSON to ``out`` (folders made as needed) and say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out}")
