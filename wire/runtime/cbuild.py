"""The C toolchain of the native engine: whether it is there, compiling a kernel's C source to
a shared library, and loading one.

Native kernels (:mod:`wire.runtime.native`) need an x86-64 Linux machine with a C compiler
(``$CC``, else ``cc`` or ``gcc``) and glibc's vector math library ``libmvec`` (vectorised
``sin``, ``cos``, ``tanh``, ``exp``, …). Anything missing, or a compile that fails, makes the
engine unavailable and the NumPy code runs as before; ``WIRE_NATIVE=0`` turns it off.

The flags matter for exactness: ``-ffp-contract=off`` keeps ``a*b + c`` two roundings (as
NumPy's two calls), no ``-ffast-math`` keeps NaN and infinity semantics, ``-fno-math-errno``
lets ``sqrt`` be the exactly rounded instruction, and ``-fno-builtin-sin -fno-builtin-cos``
stop the compiler from merging ``sin(v)`` and ``cos(v)`` into ``sincos``, which has no
vector variant (the whole loop would stay scalar). ``-march=native`` makes the library
specific to this CPU: :func:`identity` names the compiler, the flags and the CPU, and is
part of every cache key.

>>> isinstance(enabled(), bool)
True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile

__all__ = ["FLAGS", "BuildError", "available", "compile_library", "enabled", "identity",
           "load_library"]

ENV_SWITCH = "WIRE_NATIVE"
_OFF = ("0", "off", "false", "no")
FLAGS = ("-O2", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-fopenmp-simd",
         "-fno-builtin-sin", "-fno-builtin-cos", "-fno-builtin-sinf", "-fno-builtin-cosf",
         "-shared", "-fPIC")
LIBS = ("-lmvec", "-lm")
COMPILE_TIMEOUT = 120.0  # seconds: a hung compiler is a failed compile


class BuildError(Exception):
    """The C compiler failed (the caller keeps the NumPy code)."""


def enabled() -> bool:
    """Whether native kernels may be used in this process (``WIRE_NATIVE`` is not 0/off);
    cheap: says nothing about the toolchain (see :func:`available`)."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in _OFF


def _compiler() -> str | None:
    cc = os.environ.get("CC")
    if cc:
        return shutil.which(cc)
    return shutil.which("cc") or shutil.which("gcc")


@functools.cache
def _toolchain() -> tuple | None:
    """(compiler path, its version line, the CPU's description) or None where the engine
    cannot run: not x86-64 Linux, no compiler, no libmvec."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    cc = _compiler()
    if cc is None or ctypes.util.find_library("mvec") is None:
        return None
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True,
                             timeout=COMPILE_TIMEOUT, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return cc, (out.splitlines() or [""])[0], _cpu()


def _cpu() -> str:
    """The CPU model and feature flags (code built with ``-march=native`` runs only there)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            text = f.read(1 << 16)
    except OSError:
        return platform.processor() or "unknown"
    keep = [ln.split(":", 1)[1].strip() for ln in text.splitlines()
            if ln.split(":", 1)[0].strip() in ("model name", "flags")][:2]
    return hashlib.sha256("\n".join(keep).encode()).hexdigest()


def available() -> bool:
    """Whether kernels can be built here (enabled, x86-64 Linux, a C compiler, libmvec); the
    first answer runs the compiler once (``--version``), then it is remembered."""
    return enabled() and _toolchain() is not None


def identity() -> str:
    """What a built library depends on besides its source: compiler, flags, CPU."""
    tc = _toolchain()
    if tc is None:
        return "unavailable"
    return "\n".join([tc[1], " ".join(FLAGS + LIBS), tc[2], platform.machine()])


def compile_library(source: str, path: str) -> None:
    """Compile C ``source`` to the shared library ``path`` (written whole: a temporary file
    renamed into place); :class:`BuildError` if it fails."""
    tc = _toolchain()
    if tc is None:
        raise BuildError("no C toolchain with libmvec")
    folder = os.path.dirname(os.path.abspath(path))
    with tempfile.TemporaryDirectory(prefix="wire-native-") as work:
        src = os.path.join(work, "kernel.c")
        with open(src, "w", encoding="utf-8") as f:
            f.write(source)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".so", dir=folder)
        os.close(fd)
        try:
            proc = subprocess.run([tc[0], *FLAGS, src, "-o", tmp, *LIBS], capture_output=True,
                                  text=True, timeout=COMPILE_TIMEOUT, check=False)
            if proc.returncode != 0:
                raise BuildError(proc.stderr[-2000:])
            os.replace(tmp, path)
        except (OSError, subprocess.SubprocessError) as e:
            raise BuildError(str(e)) from e
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def load_library(path: str) -> ctypes.CDLL:
    """The shared library at ``path``, loaded (``OSError`` if it cannot be)."""
    return ctypes.CDLL(os.path.abspath(path))
