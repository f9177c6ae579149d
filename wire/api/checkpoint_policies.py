"""Policies for ``wire.checkpoint``: which intermediates a checkpointed function may keep from
its forward pass (``policy(node) -> bool``; JAX's ``jax.checkpoint_policies``)."""

from .checkpoint import (
    dots_saveable, everything_saveable, nothing_saveable, save_any_names_but_these, save_only,
    save_only_these_names,
)

__all__ = ["dots_saveable", "everything_saveable", "nothing_saveable", "save_any_names_but_these",
           "save_only", "save_only_these_names"]
