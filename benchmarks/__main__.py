"""``python -m benchmarks``: run the benchmark suite (see ``benchmarks/run.py``)."""

from .run import main

main()
