"""Object kinds of the hist_gradient_boosting family (see objects/base.py)."""

from __future__ import annotations

from milo_codec.objects.base import ObjectKind

KINDS: tuple[ObjectKind, ...] = ()
