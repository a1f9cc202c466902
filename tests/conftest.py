"""Test-wide settings.

The suite runs as two pytest-xdist workers on a 2-core machine; each torch process using both cores for its
tiny models would oversubscribe the CPU (measured: 20x slower steps under load), so each worker uses one
intra-op thread.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402

torch.set_num_threads(1)
