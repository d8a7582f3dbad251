"""Window construction (the model contract): the record judged is last, windows stay in their segment,
short histories are left-padded with their earliest record."""
from __future__ import annotations

import numpy as np

from hl_training import data as D


def test_window_ends_at_its_row_and_is_left_padded_with_the_segment_start():
    idx = D.window_index([(0, 5), (5, 8)], T=3)
    assert idx.tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4],
                            [5, 5, 5], [5, 5, 6], [5, 6, 7]]


def test_window_of_length_one_is_the_row_itself():
    assert D.window_index([(0, 4)], T=1)[:, 0].tolist() == [0, 1, 2, 3]


def test_truncating_to_h_keeps_the_last_h_records_and_pads_with_the_earliest_kept():
    idx = np.array([[10, 11, 12, 13]])
    assert D.truncate(idx, 2).tolist() == [[12, 12, 12, 13]]
    assert D.truncate(idx, 1).tolist() == [[13, 13, 13, 13]]
    assert D.truncate(idx, 4).tolist() == idx.tolist()


def test_network_and_tree_inputs_hold_the_same_raw_values():
    X = np.arange(12, dtype=np.float64).reshape(6, 2) + 0.1
    idx = D.window_index([(0, 6)], T=3)
    net, flat = D.net_windows(X, idx), D.gb_windows(X, idx)
    assert net.shape == (6, 3, 2) and net.dtype == np.float32
    assert flat.shape == (6, 6) and flat.dtype == np.float64
    assert np.allclose(net.reshape(6, -1), flat)


def test_keep_blocks_makes_each_kept_block_its_own_segment():
    tab = D.Table(np.arange(1300, dtype=np.float64)[:, None], np.zeros(1300, dtype=np.int64), ["row"], ["normal", "attack"])
    sub, widx, ids = D.keep_blocks(tab, [2, 0], T=4)
    assert sub.X[:, 0].tolist() == list(range(0, 500)) + list(range(1000, 1300))
    assert sub.X[widx[ids[2][0]], 0].tolist() == [1000.0] * 4
    assert sub.X[widx[ids[2][2]], 0].tolist() == [1000.0, 1000.0, 1001.0, 1002.0]
