"""The splits: blocked WUSTL, the NSL-KDD training/validation rows, and that fitting never sees test data."""
from __future__ import annotations

import numpy as np
import pytest

from hl_training import data as D


def test_wustl_blocks_partition_the_file_by_block_number_mod_5():
    rows = 16318
    bl = D.wustl_blocks(rows)
    every = sorted(bl["train"] + bl["validation"] + bl["test"])
    assert every == list(range(33))
    assert all(b % 5 == 2 for b in bl["validation"]) and all(b % 5 == 4 for b in bl["test"])
    assert not set(bl["train"]) & ({b for b in range(33) if b % 5 in (2, 4)})


def test_wustl_fit_data_holds_no_row_of_a_test_block(wustl_dir):
    rows = 5 * D.WUSTL_BLOCK + 120
    fd = D.wustl_fit_data(wustl_dir, three_class=False, T=4)
    file_rows = fd.tab.X[:, fd.tab.names.index("Rate")].astype(int)  # Rate = the file row in the synthetic file
    test_rows = set(D.block_rows(D.wustl_blocks(rows)["test"], rows).tolist())
    kept = set(file_rows.tolist())
    assert not kept & test_rows
    assert kept == set(range(rows)) - test_rows
    val_blocks = {r // D.WUSTL_BLOCK for r in file_rows[fd.split.val]}
    assert val_blocks == set(D.wustl_blocks(rows)["validation"])
    assert not set(fd.split.train.tolist()) & set(fd.split.val.tolist())


def test_wustl_windows_of_the_fit_table_never_cross_a_block_edge(wustl_dir):
    fd = D.wustl_fit_data(wustl_dir, three_class=False, T=10)
    file_rows = fd.tab.X[:, fd.tab.names.index("Rate")].astype(int)
    blocks_in_window = file_rows[fd.split.widx] // D.WUSTL_BLOCK
    assert (blocks_in_window == blocks_in_window[:, -1:]).all()


def test_wustl_split_description_is_what_the_csharp_runtime_rebuilds():
    desc = D.wustl_split_description(16318)
    assert desc["kind"] == "blocked" and desc["block_size"] == 500 and desc["test"] == [4, 9, 14, 19, 24, 29]


def test_nsl_fit_data_needs_no_test_file_and_splits_80_20_in_file_order(nsl_train_only_dir):
    fd = D.nsl_fit_data(nsl_train_only_dir, T=1)
    assert [r["file"] for r in fd.ledger.reads] == [D.NSL_TRAIN]
    assert fd.split.train.tolist() == list(range(40)) and fd.split.val.tolist() == list(range(40, 50))


@pytest.mark.parametrize("rel", sorted(D.TEST_FILES))
def test_a_fit_ledger_refuses_to_open_a_test_file(tmp_path, rel):
    with pytest.raises(D.TestDataRefused):
        D.open_data_file(tmp_path, rel, D.FileLedger(allow_test_files=False))


def test_an_evaluation_ledger_records_each_file_it_read(tmp_path):
    from conftest import write_nsl
    write_nsl(tmp_path, D.NSL_TESTS["KDDTest+"], 9)
    write_nsl(tmp_path, D.NSL_TESTS["KDDTest-21"], 6)
    ledger = D.FileLedger(allow_test_files=True)
    sets = D.nsl_test_sets(tmp_path, 1, ledger)
    assert [(s.name, len(s.rows)) for s in sets] == [("KDDTest+", 9), ("KDDTest-21", 6)]
    assert [(r["file"], r["rows"]) for r in ledger.reads] == [(D.NSL_TESTS["KDDTest+"], 9), (D.NSL_TESTS["KDDTest-21"], 6)]
    assert all(len(r["sha256"]) == 64 for r in ledger.reads)


def test_nsl_one_hot_columns_follow_the_arff_order(nsl_train_only_dir):
    tab = D.nsl_fit_data(nsl_train_only_dir, T=1).tab
    assert tab.names[1:4] == ["protocol_type=tcp", "protocol_type=udp", "protocol_type=icmp"]
    assert np.array_equal(tab.X[:3, 1:4], np.eye(3))
    assert tab.y[:3].tolist() == [0, 1, 1]
