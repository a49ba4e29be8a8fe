"""Cross-field invariants, checked after the schema and before anything is constructed."""

from milo_codec.invariants.run import check_document

__all__ = ["check_document"]
