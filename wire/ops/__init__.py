"""Primitive declarations, one family per module; each primitive is declared once with all its
rules. The binder functions here (``exp(x)``, ``reduce_sum(x, axes)``) are the low-level layer
that ``wire.numpy`` and the derivative rules are written with."""
