"""Output arrays an objective callable reuses from one boosting round to the next.

Writing the gradient and Hessian into two new (n, K) arrays every round costs page faults:
at n = 1M, K = 24 each array is 96 MB of fresh memory, and touching it for the first time
took as long as computing the softmax itself (2 to 3 ns per entry on 2 cores). Both
backends are done with the arrays when the call that received them returns:

* XGBoost (``Booster.boost``) copies them into its own gradient buffer
  (``XGBoosterTrainOneIter``);
* LightGBM (``Booster.__boost``) hands their memory to ``LGBM_BoosterUpdateOneIterCustom``,
  which builds that round's trees from it (or copies it, under GOSS) and keeps no pointer.

``tests/test_buffers.py`` pins both facts: models trained with the arrays filled with NaN
after every round equal models trained with fresh arrays, across tree methods, GOSS,
bagging and DART.

So an objective keeps the pair it returned last and writes into it again next round,
but only when nothing else holds either array (its reference count is back to what it
was when the pair was stored): a caller that kept the previous result, or a view of it,
gets new arrays, so a returned array is never overwritten under someone's feet. The pair
is never pickled or copied with the objective.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np


class OutputBuffers:
    """The last ``(gradient, hessian)`` pair handed out, reused when it is free again.

    Holds at most one pair (2 x n x K floats) for as long as its owner lives; a new
    shape, dtype or order replaces it (so ``xgboost.cv``'s folds, which alternate, get
    new arrays each call, as without reuse).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pair: tuple[np.ndarray, np.ndarray] | None = None
        self._free_count = 0

    def _is_free(self, pair: tuple[np.ndarray, np.ndarray]) -> bool:
        # measured the same way as in take(): only ``self._pair`` holds the arrays
        return sys.getrefcount(pair[0]) == self._free_count and sys.getrefcount(pair[1]) == self._free_count

    def take(self, shape: tuple[int, ...], dtype: Any, order: str) -> tuple[np.ndarray, np.ndarray]:
        """Two distinct uninitialised arrays of ``shape``, ``dtype`` and ``order`` ("C" or "F")
        that nobody else references: the stored pair when it matches and is free, else new ones."""
        dtype = np.dtype(dtype)
        with self._lock:  # a second thread sees the pair taken (its count raised) and gets new arrays
            pair = self._pair
            if pair is not None and _fits(pair[0], shape, dtype, order) and self._is_free(pair):
                return pair[0], pair[1]  # a new tuple: whoever keeps it keeps the arrays taken
            self._pair = (np.empty(shape, dtype, order=order), np.empty(shape, dtype, order=order))
            self._free_count = sys.getrefcount(self._pair[0])
            return self._pair[0], self._pair[1]

    def clear(self) -> None:
        """Let the stored pair go (its memory is freed once nobody else holds it)."""
        with self._lock:
            self._pair = None


def _fits(array: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, order: str) -> bool:
    contiguous = array.flags.f_contiguous if order == "F" else array.flags.c_contiguous
    return array.shape == shape and array.dtype == dtype and contiguous
