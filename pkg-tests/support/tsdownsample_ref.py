#!/usr/bin/env python3
"""The indices tsdownsample 0.1.5.1 keeps, for the agreement test (pkg-tests/downsample.test.mjs).

Reads JSON from stdin: [{"x": [...], "y": [...], "nOut": N}, ...] and prints
[{"lttb": [...], "minmaxLttb": [...]}, ...] (MinMaxLTTB with its default ratio 4). Run with
the Dioptra venv's python, where scripts/setup-server-deps.sh installs tsdownsample.
"""

import json
import sys

import numpy as np
import tsdownsample
from tsdownsample import LTTBDownsampler, MinMaxLTTBDownsampler

assert tsdownsample.__version__ == "0.1.5.1", tsdownsample.__version__

out = []
for case in json.load(sys.stdin):
    x = np.asarray(case["x"], dtype=np.float64)
    y = np.asarray(case["y"], dtype=np.float64)
    n = case["nOut"]
    out.append(
        {
            "lttb": LTTBDownsampler().downsample(x, y, n_out=n).tolist(),
            "minmaxLttb": MinMaxLTTBDownsampler().downsample(x, y, n_out=n, minmax_ratio=4).tolist(),
        }
    )
json.dump(out, sys.stdout)
