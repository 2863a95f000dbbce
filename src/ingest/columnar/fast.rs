//! Columnar validation of a decoded batch. The row path builds a [`Val`] for every cell and
//! runs every rule per row (a third of ingest's CPU at 10M rows). Here each mapped column is
//! checked and converted at once: typed loops for the Arrow types exporters write (UTF-8 ids,
//! timestamps, `f64` latencies and resources), and each distinct value of a dictionary column
//! (status, error code, result, segments) converted once per batch instead of once per row.
//! A row that fails any check goes through the row path, which rejects it with its reason and
//! detail, so the outcome is the row path's: same rows in the same order, same codes, counts and
//! rejections (the tests run both on the same batches).

use super::ColData;
use crate::ingest::columns::{DictCol, NONE};
use crate::ingest::value::trim;
use crate::ingest::{sample_hash, Normalizer, Part, Val, FIXED_FIELDS, MAX_LATENCY_MS, RESULT_FIELD};
use arrow_array::Array;
use std::borrow::Cow;

/// Whether a batch can be validated a column at a time: every row belongs to the version (no
/// `[input] select`, no version column) and the latency is one column (not a span's end minus
/// its start). Other inputs take the row path.
pub(super) fn applies(norm: &Normalizer) -> bool {
    norm.select.is_empty() && norm.version_value.is_none() && !norm.span_latency
}

/// A value per dictionary key, computed the first time the key is met.
struct PerKey<T>(Vec<Option<T>>);

impl<T: Copy> PerKey<T> {
    fn new() -> Self {
        PerKey(Vec::new())
    }
    fn get(&mut self, k: usize, make: impl FnOnce() -> T) -> T {
        if k >= self.0.len() {
            self.0.resize(k + 1, None);
        }
        *self.0[k].get_or_insert_with(make)
    }
}

/// The dictionary key of row `i` when the column is an `Int32` dictionary and the row is not
/// null: the row's value is then `values.val(key)`.
fn key(d: &ColData, i: usize) -> Option<(usize, &ColData)> {
    match d {
        ColData::DictI32(keys, values) if !keys.is_null(i) => usize::try_from(keys.value(i)).ok().map(|k| (k, values.as_ref())),
        _ => None,
    }
}

/// The text of row `i` of a UTF-8 column (None where null), or None for other types.
fn utf8(d: &ColData, i: usize) -> Option<Option<&str>> {
    match d {
        ColData::Str(a) => Some((!a.is_null(i)).then(|| a.value(i))),
        ColData::LargeStr(a) => Some((!a.is_null(i)).then(|| a.value(i))),
        ColData::ViewStr(a) => Some((!a.is_null(i)).then(|| a.value(i))),
        _ => None,
    }
}

/// The correlation id of row `i`, as [`Val::as_id`] reads it.
fn id_at(d: &ColData, i: usize) -> Option<Cow<'_, str>> {
    match utf8(d, i) {
        Some(s) => s.map(trim).filter(|t| !t.is_empty()).map(Cow::Borrowed),
        None => d.val(i).as_id().map(|c| Cow::Owned(c.into_owned())),
    }
}

/// An optional resource value of row `i` as the row path stores it (NaN: missing).
fn number(d: &ColData, i: usize) -> f64 {
    match d {
        ColData::F64(a) if a.is_null(i) => f64::NAN,
        ColData::F64(a) => Some(a.value(i)).filter(|v| v.is_finite()).unwrap_or(f64::NAN),
        ColData::I64(a) if !a.is_null(i) => a.value(i) as f64,
        d => d.val(i).as_f64().filter(|v| v.is_finite()).unwrap_or(f64::NAN),
    }
}

/// Pushes the optional text of row `i` (error code, segment value) into `col`.
fn push_text(col: &mut DictCol, d: &ColData, i: usize, memo: &mut PerKey<u32>) {
    match key(d, i) {
        Some((k, values)) => {
            let code = memo.get(k, || values.val(k).text().map_or(NONE, |t| col.intern(&t)));
            col.push_code(code);
        }
        None => col.push(d.val(i).text().as_deref()),
    }
}

/// Latencies in ms of rows `0..n` (NaN where missing or not a number), as the row path reads them.
fn latencies(norm: &Normalizer, d: &ColData, n: usize) -> Vec<f64> {
    let unit = norm.latency_unit;
    match d {
        ColData::F64(a) => (0..n).map(|i| if a.is_null(i) { f64::NAN } else { unit.to_ms(a.value(i)) }).collect(),
        ColData::I64(a) => (0..n).map(|i| if a.is_null(i) { f64::NAN } else { unit.to_ms(a.value(i) as f64) }).collect(),
        d => (0..n).map(|i| d.val(i).as_f64().map_or(f64::NAN, |v| unit.to_ms(v))).collect(),
    }
}

/// Validates rows `0..n` of one batch (`data` in [`Normalizer::mapped_columns`] order) into
/// `part`; `row_path(i, part)` runs the row path for row `i`, for rows that fail a check.
/// Requires [`applies`].
pub(super) fn validate(norm: &Normalizer, data: &[ColData], n: usize, part: &mut Part, mut row_path: impl FnMut(usize, &mut Part)) {
    // Each rule of `Normalizer::normalize_into`, a column at a time (the id's once per row
    // below, where it is read anyway).
    let mut good = vec![true; n];
    let lat = latencies(norm, &data[2], n);
    for (g, v) in good.iter_mut().zip(&lat) {
        *g &= v.is_finite() && *v >= 0.0 && *v <= MAX_LATENCY_MS;
    }
    let mut ts = vec![0i64; n];
    // The unit each numeric timestamp was read in (temporal columns have none).
    let mut units: Vec<Option<&'static str>> = Vec::new();
    match &data[1] {
        ColData::Ms(a, mul, div) => {
            for (i, (g, t)) in good.iter_mut().zip(ts.iter_mut()).enumerate() {
                *g &= !a.is_null(i);
                *t = a.value(i).saturating_mul(*mul).div_euclid(*div);
            }
        }
        d => {
            units = vec![None; n];
            for i in 0..n {
                match d.val(i).as_epoch_ms(norm.columns.timestamp_unit) {
                    Some((t, u)) => (ts[i], units[i]) = (t, u),
                    None => good[i] = false,
                }
            }
        }
    }
    let status = |v: Val<'_>| v.as_status(&norm.ok_values, &norm.error_codes);
    let mut ok = vec![false; n];
    let mut status_memo = PerKey::new();
    for i in 0..n {
        let s = match key(&data[3], i) {
            Some((k, values)) => status_memo.get(k, || status(values.val(k))),
            None => status(data[3].val(i)),
        };
        match s {
            Some(b) => ok[i] = b,
            None => good[i] = false,
        }
    }

    let (mut error_memo, mut result_memo) = (PerKey::new(), PerKey::new());
    let segments = &data[FIXED_FIELDS..];
    let mut segment_memos: Vec<PerKey<u32>> = segments.iter().map(|_| PerKey::new()).collect();
    for i in 0..n {
        let Some(id) = good[i].then(|| id_at(&data[0], i)).flatten() else {
            row_path(i, part);
            continue;
        };
        part.rows_read += 1;
        if let Some(unit) = units.get(i).copied().flatten() {
            part.count_unit(unit);
        }
        part.rows_accepted += 1;
        if part.sample_threshold.is_some_and(|t| sample_hash(&id) > t) {
            part.rows_sampled_out += 1;
            continue;
        }
        let result = match key(&data[RESULT_FIELD], i) {
            Some((k, values)) => result_memo.get(k, || part.result_code(&values.val(k))),
            None => part.result_code(&data[RESULT_FIELD].val(i)),
        };
        let r = &mut part.rows;
        r.id.push(&id);
        r.ts_ms.push(ts[i]);
        r.latency_ms.push(lat[i]);
        r.ok.push(ok[i]);
        push_text(&mut r.error_code, &data[4], i, &mut error_memo);
        r.result.push_code(result);
        r.cpu_ms.push(number(&data[6], i));
        r.memory_mb.push(number(&data[7], i));
        r.net_bytes.push(number(&data[8], i));
        for ((col, d), memo) in r.segments.iter_mut().zip(segments).zip(&mut segment_memos) {
            push_text(col, d, i, memo);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{view, FileCtx};
    use crate::ingest::{Normalizer, Part, Sink};
    use crate::policy::{Columns, Input, LatencyUnit, TimestampUnit};
    use arrow_array::types::Int32Type;
    use arrow_array::{
        ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray, StringViewArray,
        TimestampMillisecondArray,
    };
    use proptest::prelude::*;
    use std::path::Path;
    use std::sync::Arc;

    /// Values each column draws from: valid ones and every kind of defect the rules reject.
    const IDS: [Option<&str>; 7] = [Some("a1"), Some(" a2 "), Some(""), Some("   "), None, Some("a1"), Some("ü-7")];
    const TS_TEXT: [Option<&str>; 7] =
        [Some("2026-11-27T00:00:00Z"), Some("1790000000"), Some("1790000000123"), Some("bad"), Some(""), None, Some("1790000000.5")];
    const TS_INT: [Option<i64>; 5] = [Some(1_790_000_000), Some(1_790_000_000_123), Some(1_790_000_000_123_456), Some(-5), None];
    const LAT: [Option<f64>; 10] =
        [Some(12.5), Some(0.0), Some(-0.0), Some(-1.0), Some(f64::NAN), Some(f64::INFINITY), Some(2e9), Some(1e9), None, Some(0.1)];
    const LAT_TEXT: [Option<&str>; 7] = [Some("12.5"), Some("12ms"), Some(""), Some("inf"), Some(" 7 "), None, Some("1e3")];
    const STATUS: [Option<&str>; 9] =
        [Some("ok"), Some("error"), Some("OK"), Some(""), Some("  "), Some("200"), Some("503"), Some("timeout"), None];
    const CODES: [Option<&str>; 5] = [Some("E1"), Some(""), Some(" E2 "), None, Some("E1")];
    const RESULTS: [Option<&str>; 7] =
        [Some(r#"{"b":1,"a":2}"#), Some(r#"{"a":2,"b":1}"#), Some("plain"), Some(""), None, Some("[1, 2]"), Some("{bad")];
    const NUM: [Option<f64>; 7] = [Some(1.5), Some(f64::NAN), Some(f64::INFINITY), None, Some(0.1), Some(3.0), Some(-0.0)];
    const NUM_TEXT: [Option<&str>; 4] = [Some("2.5"), Some("x"), None, Some(" 4 ")];
    const REGIONS: [Option<&str>; 5] = [Some("eu"), Some("us"), Some(""), None, Some(" eu")];

    fn text(pool: &[Option<&str>], picks: &[usize], kind: usize) -> ArrayRef {
        let it = || picks.iter().map(|&p| pool[p % pool.len()]);
        match kind % 3 {
            0 => Arc::new(it().collect::<StringArray>()),
            1 => Arc::new(it().collect::<StringViewArray>()),
            _ => Arc::new(it().collect::<DictionaryArray<Int32Type>>()),
        }
    }

    fn floats(pool: &[Option<f64>], picks: &[usize]) -> ArrayRef {
        Arc::new(picks.iter().map(|&p| pool[p % pool.len()]).collect::<Float64Array>())
    }

    fn ints(pool: &[Option<i64>], picks: &[usize]) -> ArrayRef {
        Arc::new(picks.iter().map(|&p| pool[p % pool.len()]).collect::<Int64Array>())
    }

    /// One batch: each column in one of several Arrow types (`kinds`), its rows drawn from the
    /// pools (`picks`).
    fn batch(kinds: &[usize], picks: &[Vec<usize>]) -> RecordBatch {
        let ms: Vec<Option<i64>> = TS_INT.iter().map(|t| t.map(|v| v * 3)).collect();
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("correlation_id", if kinds[0] % 2 == 0 { text(&IDS, &picks[0], kinds[0] / 2) } else { ints(&TS_INT, &picks[0]) }),
            (
                "timestamp",
                match kinds[1] % 3 {
                    0 => Arc::new(picks[1].iter().map(|&p| ms[p % ms.len()]).collect::<TimestampMillisecondArray>()),
                    1 => ints(&TS_INT, &picks[1]),
                    _ => text(&TS_TEXT, &picks[1], kinds[1] / 3),
                },
            ),
            (
                "latency_ms",
                match kinds[2] % 3 {
                    0 => floats(&LAT, &picks[2]),
                    1 => ints(&TS_INT, &picks[2]),
                    _ => text(&LAT_TEXT, &picks[2], kinds[2] / 3),
                },
            ),
            (
                "status",
                match kinds[3] % 4 {
                    0 | 1 => text(&STATUS, &picks[3], kinds[3] / 4 + 2),
                    2 => ints(&[Some(200), Some(500), Some(503), None], &picks[3]),
                    _ => Arc::new(picks[3].iter().map(|&p| [Some(true), Some(false), None][p % 3]).collect::<BooleanArray>()),
                },
            ),
            ("error_code", text(&CODES, &picks[4], kinds[4])),
            ("result", text(&RESULTS, &picks[5], kinds[5])),
            ("cpu_ms", if kinds[6] % 2 == 0 { floats(&NUM, &picks[6]) } else { text(&NUM_TEXT, &picks[6], kinds[6] / 2) }),
            ("memory_mb", floats(&NUM, &picks[7])),
            ("net_bytes", ints(&TS_INT, &picks[8])),
            ("region", text(&REGIONS, &picks[9], kinds[9])),
        ];
        RecordBatch::try_from_iter(columns).unwrap()
    }

    /// Everything a part records, in a comparable form (floats by their bits).
    fn summary(p: &Part) -> String {
        let r = &p.rows;
        let bits = |c: &crate::ingest::NumCol| (0..c.len()).map(|i| c.get(i).to_bits()).collect::<Vec<_>>();
        let mut units = p.timestamp_units.clone();
        units.sort_unstable();
        format!(
            "{:?}",
            (
                (0..r.len()).map(|i| r.id.get(i).to_string()).collect::<Vec<_>>(),
                &r.ts_ms,
                r.latency_ms.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                &r.ok,
                (0..r.len()).map(|i| r.error_code.get(i)).collect::<Vec<_>>(),
                (&r.result.codes, &p.learned),
                (bits(&r.cpu_ms), bits(&r.memory_mb), bits(&r.net_bytes)),
                (0..r.len()).map(|i| r.segments[0].get(i)).collect::<Vec<_>>(),
                (p.rows_read, p.rows_accepted, p.rows_sampled_out, p.rejected_by_reason, units),
                &p.rejected,
            )
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The columnar path gives exactly what the row path gives, for every mix of column
        /// types, defects, units and sampling.
        #[test]
        fn columnar_validation_equals_the_row_path(
            kinds in proptest::collection::vec(0usize..12, 10),
            picks in proptest::collection::vec(proptest::collection::vec(0usize..1000, 40), 10),
            seconds in any::<bool>(),
            sampled in any::<bool>(),
        ) {
            let b = batch(&kinds, &picks);
            let mut columns = Columns::default();
            if seconds {
                columns.latency_unit = LatencyUnit::S;
                columns.timestamp_unit = TimestampUnit::Ms;
            }
            let segments = vec!["region".to_string()];
            let norm = Normalizer::new(&columns, &Input::default(), &segments, "v1");
            prop_assert!(super::applies(&norm));
            let run = |columnar: bool| {
                let mut sink = Sink::new("v1", &segments, 8);
                sink.sample_threshold = sampled.then_some(u64::MAX / 2);
                let mut part = sink.part();
                part.stable_strings = true;
                let ctx = FileCtx { path: Path::new("t.parquet"), file: "t.parquet".into(), wanted: norm.mapped_columns(), norm: &norm, columnar };
                ctx.validate(std::slice::from_ref(&b), 100, &mut part).unwrap();
                summary(&part)
            };
            prop_assert_eq!(run(true), run(false));
        }
    }

    /// The pools hold what the property needs: rows that every rule accepts and rows each rule
    /// rejects, so neither path's branch goes untried.
    #[test]
    fn the_pools_reach_acceptance_and_every_rejection() {
        let picks: Vec<Vec<usize>> = (0..10).map(|c| (0..210).map(|i| i * (c + 1) + i / 7).collect()).collect();
        let segments = vec!["region".to_string()];
        let norm = Normalizer::new(&Columns::default(), &Input::default(), &segments, "v1");
        let b = batch(&[0, 0, 0, 1, 2, 2, 0, 0, 0, 2], &picks);
        for name in ["status", "result", "region"] {
            let c = b.column_by_name(name).unwrap();
            assert!(matches!(view(Path::new("t"), name, c).unwrap(), super::ColData::DictI32(..)), "{name}");
        }
        let sink = Sink::new("v1", &segments, 0);
        let mut part = sink.part();
        let ctx =
            FileCtx { path: Path::new("t.parquet"), file: "t.parquet".into(), wanted: norm.mapped_columns(), norm: &norm, columnar: true };
        ctx.validate(std::slice::from_ref(&b), 0, &mut part).unwrap();
        assert!(part.rows_accepted > 0);
        // Every reason but a malformed record, which a decoded batch cannot have.
        let by_reason = crate::ingest::Reason::ALL.iter().zip(part.rejected_by_reason);
        assert!(by_reason.filter(|(r, _)| **r != crate::ingest::Reason::Malformed).all(|(_, n)| n > 0), "{:?}", part.rejected_by_reason);
    }
}
