from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# Test modules import estimator classes by their public paths; scikit-learn exports its
# experimental ones only after these imports (milo_codec itself does not need them: see
# test_coverage.py::test_experimental_classes_load_in_a_fresh_interpreter).
from sklearn.experimental import enable_halving_search_cv, enable_iterative_imputer  # noqa: F401
