#!/usr/bin/env python3
"""tsdownsample 0.1.5.1 MinMaxLTTB and LTTB on N points to N_OUT, timed in-process (the bench's
reference): prints {"minmaxLttbMs": [...], "lttbMs": [...], "kept": K}. Args: N N_OUT RUNS."""
import json
import sys
import time

import numpy as np
from tsdownsample import LTTBDownsampler, MinMaxLTTBDownsampler

n, n_out, runs = (int(v) for v in sys.argv[1:4])
x = np.arange(n, dtype=np.float64)
rng = np.random.default_rng(1)
y = np.cumsum(rng.standard_normal(n))
out = {"minmaxLttbMs": [], "lttbMs": []}
for _ in range(runs):
    t = time.perf_counter()
    kept = MinMaxLTTBDownsampler().downsample(x, y, n_out=n_out)
    out["minmaxLttbMs"].append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    LTTBDownsampler().downsample(x, y, n_out=n_out)
    out["lttbMs"].append((time.perf_counter() - t) * 1000)
out["kept"] = len(kept)
json.dump(out, sys.stdout)
