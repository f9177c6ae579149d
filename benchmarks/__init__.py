"""wire's benchmark suite: ``python -m benchmarks [--quick] [--workload NAME ...]``.

Workloads (see each module's docstring): ``small_call``, ``mlp``, ``compile``, ``memory``,
``higher_order``. Every table compares systems measured side by side in one process (memory:
one process per system) with BLAS pinned to one thread; ratios are medians of per-round ratios
against hand-written NumPy. Importing this package pins the threads before NumPy loads.
"""

from .harness import pin_threads

pin_threads()
