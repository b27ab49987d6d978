#!/usr/bin/python3
"""Writes what each rank of np{N}.mlir must return, for compare_npy.py --dir.

    make_expected.py OUT_DIR EXPECTED_DIR N

@v and @m: their stored values, flattened and padded with zeros to N pieces; @n: the same
initializer drawn whole (ds-run's n_whole output), padded the same way.
"""
import sys

import numpy as np

out, expected, n = sys.argv[1], sys.argv[2], int(sys.argv[3])


def padded(values):
    flat = values.reshape(-1)
    pieces = -(-flat.size // n)
    return np.concatenate([flat, np.zeros(pieces * n - flat.size, flat.dtype)])


for r in range(n):
    np.save(f"{expected}/expected_v.rank{r}.npy",
            padded(np.array([1.5, -2.0, 3.25, 4.0, -5.5], np.float32)))
    np.save(f"{expected}/expected_m.rank{r}.npy", padded(np.array([[7, 8], [9, 10]], np.int64)))
    np.save(f"{expected}/expected_n.rank{r}.npy", padded(np.load(f"{out}/n_whole.rank{r}.npy")))
