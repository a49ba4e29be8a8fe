"""Fit recipes of the ensemble family except HistGradientBoosting (see recipes_ensemble.py).

Class name → function returning that class's recipes; recipes_for() consults RECIPES first.
"""

from __future__ import annotations

from collections.abc import Callable

from recipes import Recipe

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}
