"""Every example runs end to end in quick mode (``--steps``), prints metrics, writes its PNG
(three in every run, all eight with ``-m slow``)."""

import importlib.util
import os
import subprocess
import sys

import pytest
from selection import slow_selected

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")

# the examples' extra (the children import them; importing them here too would cost each
# xdist worker about a second of collection)
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("sklearn", "tqdm", "matplotlib")),
    reason="needs the examples extra: pip install -e '.[examples]'")

CASES = [
    ("digits_mlp.py", ["--steps", "20"], "test accuracy", "digits_mlp.png"),
    ("digits_cnn.py", ["--steps", "20"], "test accuracy", "digits_cnn.png"),
    ("char_rnn.py", ["--steps", "20", "--sample-len", "40"], "sample:", "char_rnn.png"),
    ("digits_vae.py", ["--steps", "20"], "negative ELBO", "digits_vae.png"),
    ("higher_order.py", ["--steps", "5"], "Newton", "higher_order.png"),
    ("gaussian_process.py", ["--steps", "5"], "L-BFGS", "gaussian_process.png"),
    ("lagrangian_pendulum.py", ["--steps", "50"], "energy drift", "lagrangian_pendulum.png"),
    ("digits_wgan_gp.py", ["--steps", "5"], "Wasserstein",
     ("digits_wgan_gp_samples.png", "digits_wgan_gp_loss.png")),
]

# every run starts these three (a training loop, nested derivatives, L-BFGS: 4-6 s each);
# the others (a convolution, a scan, sampling, a gradient penalty, a Lagrangian) with -m slow
CI_EXAMPLES = ("digits_mlp.py", "higher_order.py", "gaussian_process.py")


@pytest.mark.slow
@pytest.mark.parametrize("script,args,expect,png", CASES, ids=[c[0] for c in CASES])
def test_example_runs(script, args, expect, png, request):
    if script not in CI_EXAMPLES and not slow_selected(request.config):
        pytest.skip("runs with -m slow")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    pngs = (png,) if isinstance(png, str) else png
    out_pngs = [os.path.join(EXAMPLES, "out", p) for p in pngs]
    for out_png in out_pngs:
        if os.path.exists(out_png):
            os.remove(out_png)
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], env=env,
                          capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert expect in proc.stdout
    assert all(os.path.exists(p) for p in out_pngs)
