"""wire's benchmark suite: ``python -m benchmarks [--quick] [--workload NAME ...]``.

Workloads (see each module's docstring and ``run.py``): ``small_call``, ``mlp``, ``compile``,
``memory``, ``higher_order``, ``hessian``, ``training``, ``vmap``, ``scan_rnn``, ``eager``,
``scale``, ``higher_order_panel``. Every table compares systems measured side by side in one
process (memory, and the one-shot cells of :mod:`benchmarks.cells`: one fresh process each)
with BLAS pinned to one thread; ratios are medians of per-round ratios against hand-written
NumPy. Importing this package pins the threads before NumPy loads. ``BASELINE.md`` holds the
figures measured before the work on issues 14, 16 and 17.
"""

from .harness import pin_threads

pin_threads()
