"""The parts of ``tools/bench.py``: the zoo of models, the codecs, the measurements, the
report and the chart. Importing it puts this checkout's ``src`` first on ``sys.path``, so the
milo_codec measured is the one beside it, whatever else is installed."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
