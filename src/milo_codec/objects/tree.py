"""Object kinds of the tree family (see objects/base.py)."""

from __future__ import annotations

from milo_codec.objects.base import ObjectKind

KINDS: tuple[ObjectKind, ...] = ()
