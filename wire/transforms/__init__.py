"""Graph -> graph transforms: reverse mode (``vjp``), forward mode (``jvp``)."""
