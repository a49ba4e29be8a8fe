"""Object kinds of the neural_network family (see objects/base.py)."""

from __future__ import annotations

from milo_codec.objects.base import ObjectKind

KINDS: tuple[ObjectKind, ...] = ()
