"""Hypothesis budgets of the fuzz targets: bounded in the normal suite, long on demand.

The normal suite (`pytest`, CI) runs every target with a small, derandomised budget so it stays
well under a minute on two shared cores and never flakes. `DIIA_INBOX_FUZZ=long` multiplies the
budgets (by `DIIA_INBOX_FUZZ_SCALE`, default 50) and lets hypothesis pick fresh random inputs on
every run, for an hour-long hunt on a quiet machine; `--hypothesis-seed=N` replays one run.
See docs/hardening.md.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

#: "ci" (default) or "long".
PROFILE = os.environ.get("DIIA_INBOX_FUZZ", "ci").strip().lower() or "ci"
SCALE = int(os.environ.get("DIIA_INBOX_FUZZ_SCALE", "50"))

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def fuzz(ci_examples: int) -> settings:
    """Settings for one target: `ci_examples` in the normal suite, many more when long."""
    if PROFILE == "long":
        return settings(
            max_examples=ci_examples * SCALE,
            deadline=None,
            derandomize=False,
            suppress_health_check=_SUPPRESS,
            print_blob=True,
        )
    return settings(
        max_examples=ci_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=_SUPPRESS,
    )
