"""Queries stream: a million rows pass through in bounded memory, and dropping the iterator
stops the query."""

from __future__ import annotations

import gc

import pytest

import cohortdb

MILLION = (
    "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000000) "
    "select i, gen_id('draft', gen_signature('combo-' || i, 'tpl', 'model', 1)) as gen_id, "
    "printf('%080d', i) as padding from n"
)


def rss_bytes() -> int:
    """Current resident set size (Linux /proc; the suite runs on Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import resource

    return pages * resource.getpagesize()


@pytest.fixture
def empty_store(tmp_path):
    store = cohortdb.Store(tmp_path / "s.db", data_root=tmp_path)
    assert store.init().schema_version >= 1  # creates the store
    return store


def test_a_million_rows_stream_in_bounded_memory(empty_store):
    # Held at once, the rows would take well over 200 MB (a dict, an int and two strings, one of
    # 80 characters, per row); streamed, at most a few batches live at a time.
    gc.collect()
    before = rss_bytes()
    peak = before
    count = 0
    last = None
    for row in empty_store.iter_query(MILLION, batch_size=5_000):
        count += 1
        last = row
        if count % 50_000 == 0:
            peak = max(peak, rss_bytes())
    assert count == 1_000_000
    assert last["i"] == 1_000_000 and last["padding"].endswith("1000000")
    assert last["gen_id"] == cohortdb.gen_id(
        "draft", cohortdb.gen_signature("combo-1000000", "tpl", "model", 1)
    )
    assert peak - before < 64 * 1024 * 1024, f"grew by {(peak - before) >> 20} MiB"


def test_columns_stream_into_a_frame(empty_store):
    pytest.importorskip("pandas")
    df = empty_store.query_df(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 25000) "
        "select i from n",
        batch_size=1000,
    )
    assert len(df) == 25000 and df["i"].sum() == 25000 * 25001 // 2


def test_dropping_the_iterator_stops_the_query(empty_store):
    batches = empty_store.iter_batches(MILLION, batch_size=1000)
    first = next(batches)
    assert len(first) == 1000 and batches.columns == ["i", "gen_id", "padding"]
    batches.close()
    with pytest.raises(StopIteration):
        next(batches)
    # An abandoned generator is fine too.
    it = empty_store.iter_query(MILLION)
    assert next(it)["i"] == 1
    del it
    gc.collect()
