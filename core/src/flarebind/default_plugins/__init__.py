"""Binding types no first-party plugin owns, declared by the core through the same hooks as any plugin."""
