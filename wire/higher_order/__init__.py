"""Higher-order primitives: control flow (``cond``, ``scan``, ``while``), custom derivative
rules and sub-graph calls — the primitives whose params hold graphs. They sit above the
transforms and the runtime, which their rules and implementations use."""
