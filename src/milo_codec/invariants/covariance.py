"""Invariants of the sklearn.covariance family, listed in schemas by x-milo-invariants.

Most facts the covariance estimators rely on are shapes (``location_``, ``covariance_`` and
``precision_`` against ``n_features_in_``, which scipy's compiled Mahalanobis distance does
not check), declared with x-milo-shape. GraphicalLasso sets ``store_precision`` in
``__init__``, so its fitted attributes are optional in the schema and required together here.
"""

from __future__ import annotations

from milo_codec.invariants.base import Check
from milo_codec.invariants.presence import fitted_together

_FITTED = ("n_features_in_", "location_", "covariance_", "precision_", "costs_", "n_iter_")

CHECKS: dict[str, Check] = {
    "graphical_lasso_fitted_together": fitted_together(_FITTED),
    "graphical_lasso_cv_fitted_together": fitted_together((*_FITTED, "cv_results_", "alpha_")),
}
