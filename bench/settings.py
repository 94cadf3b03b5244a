"""Settings of the load benchmark (bench/load.py): the product's settings, plus the bare
reference view's URLconf and rate limits that never refuse the benchmark's own load.

The environment chooses everything else, as in production: bench/load.py runs the server
with DIALOGUE_ENV=production and DEBUG off.
"""

import os

from dialogue import settings as _product
from dialogue.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# 200 delegations submit as fast as the server answers, and wrk's connections all come
# from 127.0.0.1: every limit (requests, window seconds) is raised far above what a run
# can reach, with its window kept.
# BENCH_PRODUCT_LIMITS=1 keeps the product's limits (bench/spike.py: every delegation
# submits once, as in production).
BENCH_LIMIT = 10**9
if os.environ.get("BENCH_PRODUCT_LIMITS") != "1":
    RATE_LIMITS = {
        scope: (BENCH_LIMIT, window)
        for scope, (_limit, window) in getattr(_product, "RATE_LIMITS", {}).items()
    }
