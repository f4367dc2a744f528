"""Unit tests of the generator's building blocks: ids, business hours, dirt rates and transforms."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from seeds.generator.business_hours import BusinessCalendar
from seeds.generator.columns import row_lists, run_ids, sort_order
from seeds.generator.dirt import company_variant, gmail_variant, load_rates, typo
from seeds.generator.ids import hex_ids, hex_strings, sf_ids
from seeds.generator.marketing import _thousands
from seeds.generator.names import fold_latin
from seeds.generator.rng import Streams
from seeds.generator.timeline import Clock, us_holidays
from seeds.generator.writer import BackgroundWriter, DeferredTable, write_parquet


def test_salesforce_ids_carry_the_case_safety_suffix() -> None:
    # Salesforce's documented algorithm: for each 5-character chunk, a bitmask of upper-case letters.
    ids = sf_ids("account", np.array([0, 61, 10**9])).to_list()
    assert ids[0] == "0015g0000000000AAA"
    assert all(len(i) == 18 for i in ids)
    last = ids[2]
    for chunk in range(3):
        bits = sum(1 << k for k, ch in enumerate(last[chunk * 5 : chunk * 5 + 5]) if ch.isupper())
        assert last[15 + chunk] == "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]


def test_business_minutes_skip_nights_weekends_and_holidays() -> None:
    clock = Clock(date(2025, 11, 24), date(2025, 12, 31))
    cal = BusinessCalendar(clock, us_holidays(clock.start, clock.end))
    # Wednesday 2025-11-26 16:00 New York (21:00 UTC) + 120 business minutes: 60 that day, Thursday is
    # Thanksgiving, so the remaining 60 end Friday 10:00 New York (15:00 UTC).
    start = 2 * 86_400 + 21 * 3600
    done = cal.add(np.array([start]), np.array([120]))[0]
    assert done == 4 * 86_400 + 15 * 3600
    assert cal.minutes_between(np.array([start]), np.array([done]))[0] == 120


def test_streams_are_independent_of_request_order() -> None:
    a, b = Streams(7), Streams(7)
    first = a("sales.order").random(3)
    b("support.tickets").random(10)
    assert np.array_equal(first, b("sales.order").random(3))
    assert not np.array_equal(first, Streams(8)("sales.order").random(3))


def test_dirt_override_replaces_only_named_rates(tmp_path: Path) -> None:
    override = tmp_path / "dirt.yml"
    override.write_text("identity:\n  name_typo: 0.5\n", encoding="utf-8")
    default, changed = load_rates(), load_rates(override)
    assert changed["name_typo"] == 0.5
    assert {k: v for k, v in changed.items() if k != "name_typo"} == {
        k: v for k, v in default.items() if k != "name_typo"
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("values:\n  nonsense_kind: 0.1\n", "unknown dirt kind 'nonsense_kind'"),
        ("values:\n  late_event: 2\n", "not a rate"),
    ],
)
def test_bad_dirt_files_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as error:
        load_rates(path)
    assert str(path) in str(error.value)


def test_transforms_always_change_the_value() -> None:
    rng = np.random.default_rng(1)
    names = pl.Series(["Anna", "Bob", "Christopher", "Lee", "Zoë"] * 40)
    assert (typo(names, rng) != names).all()
    companies = pl.Series(["Summit Labs Inc.", "Nova Works GmbH", "Oak Supply S.A."] * 30)
    assert (company_variant(companies, rng) != companies).all()
    gmail = pl.Series(["ann.lee@gmail.com", "bobsmith12@gmail.com"] * 30)
    varied = gmail_variant(gmail, rng)
    assert (varied != gmail).all()
    assert varied.str.ends_with("@gmail.com").all()


def test_thousands_separators_keep_the_amount() -> None:
    out = _thousands(pl.Series(["1234.50", "1234567.05", "1000.00"]), np.random.default_rng(0))
    assert out.to_list() == ["1,234.50", "1,234,567.05", "1,000.00"]


def test_fold_latin_handles_accents_and_cyrillic() -> None:
    assert fold_latin("José Müller") == "Jose Muller"
    assert fold_latin("Łukasz") == "Lukasz"
    assert fold_latin("Иванов") == "Ivanov"


def _base62(i: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(10):
        out = digits[i % 62] + out
        i //= 62
    return out


def test_salesforce_ids_spell_the_index_in_base_62() -> None:
    index = np.array([0, 1, 61, 62, 3843, 3844, 62**5, 62**9 + 7, 62**10 - 1])
    ids = sf_ids("order", index).to_list()
    assert [i[5:15] for i in ids] == [_base62(int(i)) for i in index]
    assert all(i.startswith("8015g") for i in ids)
    assert sf_ids("order", np.array([], dtype=np.int64)).len() == 0


def test_hex_ids_encode_every_byte_including_zeros() -> None:
    raw = np.array([[0, 255, 10], [16, 0, 0]], dtype=np.uint8)
    assert hex_strings(raw, "id").to_list() == ["00ff0a", "100000"]
    ids = hex_ids(np.random.default_rng(3), 1000, "event_id")
    assert ids.dtype == pl.String and ids.name == "event_id"
    assert ids.str.len_chars().unique().to_list() == [24]
    assert ids.str.contains("^[0-9a-f]{24}$").all()
    assert ids.equals(hex_ids(np.random.default_rng(3), 1000, "event_id"))


@pytest.mark.parametrize("wide", [False, True], ids=["packed", "multi-column fallback"])
def test_sort_order_is_polars_stable_sort(wide: bool) -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    keys = {
        "a": rng.integers(0, 40, n),
        "b": rng.integers(0, 2**40 if wide else 1_000, n),
        "c": rng.integers(0, 2**40 if wide else 4, n),
    }
    expected = (
        pl.DataFrame(keys).with_row_index("i").sort(["a", "b", "c"], maintain_order=True)["i"].to_numpy()
    )
    order = sort_order(keys["a"], keys["b"], keys["c"])
    assert np.array_equal(order, expected)
    assert len(sort_order(np.array([], dtype=np.int64))) == 0
    with pytest.raises(ValueError, match="non-negative"):
        sort_order(np.array([3, -1]))


def test_run_ids_number_runs_of_equal_keys() -> None:
    a = np.array([1, 1, 1, 2, 2, 3])
    b = np.array([5, 5, 6, 6, 6, 6])
    assert run_ids(a, b).tolist() == [0, 0, 1, 2, 2, 3]
    assert len(run_ids(np.array([], dtype=np.int64))) == 0


def test_row_lists_match_concat_list_for_structs_and_nulls() -> None:
    x = pl.Series("x", ["a", None, "c"])
    y = pl.Series("y", ["d", "e", None])
    frame = pl.DataFrame({"x": x, "y": y, "k": [1, 2, 3]})
    items = frame.select(
        pl.struct(pl.col("k").alias("id"), pl.col("x").alias("value")).alias("s1"),
        pl.struct(pl.col("k").alias("id"), pl.col("y").alias("value")).alias("s2"),
    )
    expected = frame.select(pl.concat_list("x", "y").alias("tags")).to_series()
    assert row_lists("tags", x, y).equals(expected)
    expected_structs = items.select(pl.concat_list("s1", "s2").alias("cf")).to_series()
    got = row_lists("cf", items["s1"], items["s2"])
    assert got.dtype == expected_structs.dtype and got.equals(expected_structs)


def test_background_writer_writes_the_same_bytes_and_names_a_failed_file(tmp_path: Path) -> None:
    df = pl.DataFrame({"id": np.arange(5000), "s": [f"row {i}" for i in range(5000)]})
    write_parquet(df, tmp_path / "direct.parquet")
    with BackgroundWriter() as writer:
        writer.submit(df, tmp_path / "sub" / "queued.parquet")
        writer.submit(DeferredTable(df.height, lambda: df.clone()), tmp_path / "sub" / "deferred.parquet")
    direct = (tmp_path / "direct.parquet").read_bytes()
    assert (tmp_path / "sub" / "queued.parquet").read_bytes() == direct
    assert (tmp_path / "sub" / "deferred.parquet").read_bytes() == direct
    (tmp_path / "blocker").write_text("a file, not a folder")
    with pytest.raises(OSError, match="blocker"), BackgroundWriter() as writer:
        writer.submit(df, tmp_path / "blocker" / "x.parquet")
