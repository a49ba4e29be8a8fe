"""Invariants of the sklearn.pipeline and sklearn.compose family, listed in schemas by x-milo-invariants."""

from __future__ import annotations

from milo_codec.invariants.base import Check

CHECKS: dict[str, Check] = {}
