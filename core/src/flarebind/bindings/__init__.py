"""Binding types, their support classes, the adapter registry and mode choice."""
