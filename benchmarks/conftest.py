"""Benchmarks run with ``pytest benchmarks/ --benchmark-only`` (see benchmarks/README.md).

pyproject's addopts carries ``--benchmark-disable`` so that the default ``pytest`` run never times
anything; pytest-benchmark refuses ``--benchmark-only`` together with ``--benchmark-disable``, so an
explicit request for benchmarks turns timing back on (the same as adding ``--benchmark-enable``).
"""
from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if config.getoption("benchmark_only", default=False):
        config.option.benchmark_enable = True
