"""Running graphs: ``wire.evaluate`` (NumPy or another backend), the compiler to straight-line
NumPy code, and the Dask/CuPy/Array-API backends."""
