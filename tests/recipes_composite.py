"""Fit recipes of the composite family: class name → function returning that class's recipes.

See tests/recipes.py for what a recipe is; recipes_for() consults RECIPES first.
"""

from __future__ import annotations

from collections.abc import Callable

from recipes import Recipe

RECIPES: dict[str, Callable[[type], list[Recipe]]] = {}
