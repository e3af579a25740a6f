"""Benchmark cases, shared by ``boostobj bench`` (:mod:`boostobj.cli`), ``bench/`` and the
tests that keep the contenders honest (each computes the same gradient as boostobj).

* ``gradients``: what users write today (per-row Python loop, vectorised NumPy), as
  functions and as objective callables;
* ``measure``: timing (``best_time``, ``TimedObjective``) and peak memory (``PeakMemory``);
* ``workloads``: the data sets (synthetic transitions, scikit-learn's digits and wine);
* ``contenders``: the five contenders and one timed training run;
* ``runner``: the whole benchmark, repetitions interleaved, as a JSON-ready dict;
* ``report``: the text table and the PNG.

Importing this package imports neither XGBoost, LightGBM nor matplotlib.
"""

from .gradients import LoopObjective, NumpyObjective, numpy_gradient, python_loop_gradient
from .measure import PeakMemory, TimedObjective, best_time

__all__ = [
    "python_loop_gradient",
    "numpy_gradient",
    "LoopObjective",
    "NumpyObjective",
    "best_time",
    "TimedObjective",
    "PeakMemory",
]
