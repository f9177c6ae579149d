"""Policies for ``wire.checkpoint``: which intermediates a checkpointed function may keep from
its forward pass (``policy(node) -> bool``; JAX's ``jax.checkpoint_policies``)."""

from .checkpoint import dots_saveable, everything_saveable, nothing_saveable, save_only

__all__ = ["dots_saveable", "everything_saveable", "nothing_saveable", "save_only"]
