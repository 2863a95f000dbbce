//! Whole rows spilled by id hash, for the analysis from mergeable summaries (issue 13): where the
//! out-of-core run of [`super::spill`] spills only the correlation ids and keeps every other
//! column in memory, this spills every column a row has, so that a partition of both versions
//! can be read back as two [`Requests`], de-duplicated, joined and folded into the summaries,
//! and memory holds one partition at a time. Same files (zstd Arrow IPC streams, one per
//! partition and version, in the run's spill folder) and the same routing
//! ([`super::spill::partition_of`]) as the id spill.

use super::spill::{partition_of, spill_err, PartitionFiles, SpillPlan, SpilledKeys};
use crate::error::Result;
use crate::ingest::columns::NumCol;
use crate::ingest::Requests;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder, StringDictionaryBuilder, UInt32Builder, UInt8Builder,
};
use arrow_array::types::UInt32Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray, UInt32Array, UInt8Array,
};
use arrow_ipc::reader::StreamReader;
use arrow_schema::{DataType, Field, Schema};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

/// The spill files' columns: the row number in the version's input order, then the row's
/// fields; numbers missing in the input are NaN (as in [`Requests`]), strings null.
fn schema(segments: usize) -> Arc<Schema> {
    let mut fields = vec![
        Field::new("row", DataType::UInt32, false),
        Field::new("id", DataType::Utf8, false),
        Field::new("ts_ms", DataType::Int64, false),
        Field::new("ok", DataType::Boolean, false),
        Field::new("error_code", DataType::Utf8, true),
        // Dictionary-encoded per batch: many rows share a result text.
        Field::new("result", DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8)), true),
    ];
    // The latency and each resource as a short decimal (integer and places) where it is one,
    // else the double; all null when the row has none. Decimals compress far better.
    for name in ["latency_ms", "cpu_ms", "memory_mb", "net_bytes"] {
        fields.push(Field::new(format!("{name}_decimal"), DataType::Int32, true));
        fields.push(Field::new(format!("{name}_places"), DataType::UInt8, true));
        fields.push(Field::new(name, DataType::Float64, true));
    }
    fields.extend((0..segments).map(|k| Field::new(format!("segment_{k}"), DataType::Utf8, true)));
    Arc::new(Schema::new(fields))
}

/// One partition's rows waiting to be written.
#[derive(Default)]
struct Batch {
    rows: UInt32Builder,
    id: StringBuilder,
    ts: Int64Builder,
    ok: BooleanBuilder,
    error_code: StringBuilder,
    result: StringDictionaryBuilder<UInt32Type>,
    /// latency, cpu, memory, net.
    numbers: [Number; 4],
    segments: Vec<StringBuilder>,
    len: usize,
}

/// One numeric column's builders.
#[derive(Default)]
struct Number {
    decimal: Int32Builder,
    places: UInt8Builder,
    wide: Float64Builder,
}

impl Number {
    /// Appends `v` (NaN: missing), as the decimal `stored` when it has one.
    fn push(&mut self, v: f64, stored: Option<(i32, u8)>) {
        match stored {
            Some((k, places)) if !v.is_nan() => {
                self.decimal.append_value(k);
                self.places.append_value(places);
                self.wide.append_null();
            }
            _ => {
                self.decimal.append_null();
                self.places.append_null();
                self.wide.append_option((!v.is_nan()).then_some(v));
            }
        }
    }

    /// Appends row `k` of a resource column, in the form the column stores it.
    fn push_stored(&mut self, col: &NumCol, k: usize) {
        let stored = match col {
            NumCol::Decimal { values, places } => Some((values[k], *places)),
            NumCol::Wide(_) => None,
        };
        self.push(col.get(k), stored);
    }

    fn finish(&mut self) -> [ArrayRef; 3] {
        [Arc::new(self.decimal.finish()), Arc::new(self.places.finish()), Arc::new(self.wide.finish())]
    }
}

impl Batch {
    fn push(&mut self, row: u32, r: &Requests, k: usize) {
        self.rows.append_value(row);
        self.id.append_value(r.id.get(k));
        self.ts.append_value(r.ts_ms[k]);
        self.ok.append_value(r.ok[k]);
        self.error_code.append_option(r.error_code.get(k));
        match r.result.get(k) {
            Some(text) => {
                // u32 keys: a batch holds far fewer than 2^32 rows
                let _ = self.result.append(text);
            }
            None => self.result.append_null(),
        }
        let latency = r.latency_ms[k];
        self.numbers[0].push(latency, NumCol::decimal_of(latency));
        for (b, col) in self.numbers[1..].iter_mut().zip([&r.cpu_ms, &r.memory_mb, &r.net_bytes]) {
            b.push_stored(col, k);
        }
        if self.segments.len() < r.segments.len() {
            self.segments.resize_with(r.segments.len(), StringBuilder::new);
        }
        for (b, c) in self.segments.iter_mut().zip(&r.segments) {
            b.append_option(c.get(k));
        }
        self.len += 1;
    }

    /// The buffered rows as a record batch; the builders start empty again.
    fn finish(&mut self, schema: Arc<Schema>, segments: usize) -> std::result::Result<RecordBatch, String> {
        self.segments.resize_with(segments, StringBuilder::new);
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(self.rows.finish()),
            Arc::new(self.id.finish()),
            Arc::new(self.ts.finish()),
            Arc::new(self.ok.finish()),
            Arc::new(self.error_code.finish()),
            Arc::new(self.result.finish()),
        ];
        for n in &mut self.numbers {
            columns.extend(n.finish());
        }
        columns.extend(self.segments.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        self.len = 0;
        RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())
    }
}

/// One version's whole-row spill while ingest runs: rows are routed as parts are absorbed, in
/// input order, so each partition file lists its rows in ascending row number.
pub struct RowSpill {
    out: PartitionFiles,
    /// Per partition: the rows waiting to be written.
    batches: Vec<Batch>,
    segments: usize,
    schema: Arc<Schema>,
    /// Rows buffered per partition before a batch is written.
    batch_rows: usize,
}

impl RowSpill {
    /// Files `{version}-rows-{p}.arrows` in the plan's folder, for rows with `segments` segment
    /// columns.
    pub fn create(plan: &SpillPlan, version: &str, segments: usize) -> Result<Self> {
        let schema = schema(segments);
        let out = PartitionFiles::create(plan, |p| format!("{version}-rows-{p:04}.arrows"), &schema)?;
        let batches = (0..plan.partitions).map(|_| Batch::default()).collect();
        // About 64K rows buffered over all partitions (rows carry their result texts).
        let batch_rows = ((1 << 16) / plan.partitions).max(256);
        Ok(RowSpill { out, batches, segments, schema, batch_rows })
    }

    /// Routes the rows of `part` (rows `first_row..` of the version) to their partitions.
    pub fn push(&mut self, first_row: u32, part: &Requests) {
        let n = self.out.len();
        for k in 0..part.len() {
            let p = partition_of(crate::pair::hash_id(part.id.get(k)), n);
            self.batches[p].push(first_row + k as u32, part, k);
            if self.batches[p].len >= self.batch_rows {
                self.flush(p);
            }
        }
    }

    fn flush(&mut self, p: usize) {
        if self.batches[p].len > 0 {
            let batch = self.batches[p].finish(self.schema.clone(), self.segments);
            self.out.write(p, batch);
        }
    }

    /// Writes what is buffered and closes every file.
    pub fn finish(mut self) -> Result<SpilledKeys> {
        (0..self.out.len()).for_each(|p| self.flush(p));
        self.out.close()
    }
}

/// One partition file's row numbers (ascending) and rows, as a [`Requests`] with the given
/// segment columns (the `has_*` flags are the caller's: they describe the input files).
pub fn read_rows(path: &Path, segment_names: &[String]) -> Result<(Vec<u32>, Requests)> {
    let file = File::open(path).map_err(|e| spill_err(path, e))?;
    let reader = StreamReader::try_new(BufReader::with_capacity(1 << 20, file), None).map_err(|e| spill_err(path, e))?;
    let (mut rows, mut out) = (Vec::new(), Requests::new(segment_names));
    for batch in reader {
        let batch = batch.map_err(|e| spill_err(path, e))?;
        let column = |k: usize| batch.columns().get(k).cloned().ok_or_else(|| spill_err(path, "a column is missing"));
        fn typed<T: 'static + Clone>(a: ArrayRef, path: &Path) -> Result<T> {
            a.as_any().downcast_ref::<T>().cloned().ok_or_else(|| spill_err(path, "unexpected column type"))
        }
        fn text(a: &StringArray, k: usize) -> Option<&str> {
            (!a.is_null(k)).then(|| a.value(k))
        }
        let row: UInt32Array = typed(column(0)?, path)?;
        let id: StringArray = typed(column(1)?, path)?;
        let ts: Int64Array = typed(column(2)?, path)?;
        let ok: BooleanArray = typed(column(3)?, path)?;
        let error_code: StringArray = typed(column(4)?, path)?;
        let result: DictionaryArray<UInt32Type> = typed(column(5)?, path)?;
        let result_texts: StringArray = typed(result.values().clone(), path)?;
        // each text of the batch's dictionary interned once
        let result_codes: Vec<u32> = (0..result_texts.len()).map(|k| out.result.intern(result_texts.value(k))).collect();
        let mut numbers = Vec::with_capacity(4);
        for k in 0..4 {
            let decimal: Int32Array = typed(column(6 + 3 * k)?, path)?;
            let places: UInt8Array = typed(column(7 + 3 * k)?, path)?;
            let wide: Float64Array = typed(column(8 + 3 * k)?, path)?;
            numbers.push((decimal, places, wide));
        }
        let value = |(decimal, places, wide): &(Int32Array, UInt8Array, Float64Array), k: usize| {
            if !decimal.is_null(k) {
                NumCol::decimal_value(decimal.value(k), places.value(k))
            } else if !wide.is_null(k) {
                wide.value(k)
            } else {
                f64::NAN
            }
        };
        let segments: Vec<StringArray> = (0..segment_names.len()).map(|k| typed(column(18 + k)?, path)).collect::<Result<_>>()?;
        rows.extend_from_slice(row.values());
        for k in 0..batch.num_rows() {
            out.id.push(id.value(k));
            out.ts_ms.push(ts.value(k));
            out.latency_ms.push(value(&numbers[0], k));
            out.ok.push(ok.value(k));
            out.error_code.push(text(&error_code, k));
            if result.is_null(k) {
                out.result.push(None);
            } else {
                out.result.push_code(result_codes[result.keys().value(k) as usize]);
            }
            out.cpu_ms.push(value(&numbers[1], k));
            out.memory_mb.push(value(&numbers[2], k));
            out.net_bytes.push(value(&numbers[3], k));
            for (c, s) in out.segments.iter_mut().zip(&segments) {
                c.push(text(s, k));
            }
        }
    }
    Ok((rows, out))
}

#[cfg(test)]
mod tests {
    use super::{read_rows, RowSpill};
    use crate::ingest::spill::{partition_of, SpillPlan};
    use crate::ingest::Requests;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// Every row comes back once, in the partition of its id, in ascending row order, with
        /// every field as it went in: missing numbers, missing and repeated texts, segments.
        #[test]
        fn whole_rows_come_back_in_their_partitions_as_they_went_in(
            rows in proptest::collection::vec(
                (0i64..1_000_000, prop_oneof![0.0f64..5_000.0, (0i32..5_000_000).prop_map(|k| f64::from(k) / 1000.0), Just(0.0)], any::<bool>(), proptest::option::of(0u8..4), proptest::option::of(0u8..6),
                 prop_oneof![Just(f64::NAN), 0.0f64..100.0, (0i32..100_000).prop_map(|k| f64::from(k) / 100.0), (0i32..100).prop_map(f64::from)],
                 proptest::option::of(0u8..3)),
                0..200,
            ),
            partitions in prop_oneof![Just(1usize), Just(4), Just(16)],
            cut in 0usize..200,
        ) {
            let names = vec!["region".to_string()];
            let mut all = Requests::new(&names);
            for (k, r) in rows.iter().enumerate() {
                all.id.push(&format!("req-{k}"));
                all.ts_ms.push(1_764_000_000_000 + r.0);
                all.latency_ms.push(r.1);
                all.ok.push(r.2);
                all.error_code.push(r.3.map(|c| format!("E{c}")).as_deref());
                all.result.push(r.4.map(|c| format!(r#"{{"valid":{c}}}"#)).as_deref());
                all.cpu_ms.push(r.5);
                all.memory_mb.push(if r.5.is_nan() { f64::NAN } else { (r.5 * 10.0).round() / 10.0 });
                all.net_bytes.push(if k % 7 == 0 { 1e300 } else { r.1 * 3.0 });
                all.segments[0].push(r.6.map(|c| ["eu", "us", "ap"][c as usize]));
            }
            // Two parts, as ingest absorbs them.
            let cut = cut.min(rows.len());
            let part = |range: std::ops::Range<usize>| {
                let mut p = Requests::new(&names);
                for k in range {
                    p.id.push(all.id.get(k));
                    p.ts_ms.push(all.ts_ms[k]);
                    p.latency_ms.push(all.latency_ms[k]);
                    p.ok.push(all.ok[k]);
                    p.error_code.push(all.error_code.get(k));
                    p.result.push(all.result.get(k));
                    p.cpu_ms.push(all.cpu_ms.get(k));
                    p.memory_mb.push(all.memory_mb.get(k));
                    p.net_bytes.push(all.net_bytes.get(k));
                    p.segments[0].push(all.segments[0].get(k));
                }
                p
            };
            let dir = tempfile::tempdir().expect("tempdir");
            let plan = SpillPlan { dir: dir.path().to_path_buf(), partitions };
            let mut spill = RowSpill::create(&plan, "v1", 1).expect("create");
            spill.batch_rows = 7; // several batches per file
            spill.push(0, &part(0..cut));
            spill.push(cut as u32, &part(cut..rows.len()));
            let done = spill.finish().expect("finish");
            prop_assert_eq!(done.files.len(), partitions);
            let mut seen = vec![false; rows.len()];
            let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            for (p, path) in done.files.iter().enumerate() {
                let (numbers, got) = read_rows(path, &names).expect("read");
                prop_assert_eq!(numbers.len(), got.len());
                prop_assert!(numbers.windows(2).all(|w| w[0] < w[1]), "ascending rows");
                for (k, &r) in numbers.iter().enumerate() {
                    let r = r as usize;
                    prop_assert!(!seen[r], "row {} twice", r);
                    seen[r] = true;
                    prop_assert_eq!(partition_of(crate::pair::hash_id(got.id.get(k)), partitions), p);
                    prop_assert_eq!(got.id.get(k), all.id.get(r));
                    prop_assert_eq!((got.ts_ms[k], got.ok[k]), (all.ts_ms[r], all.ok[r]));
                    prop_assert!(same(got.latency_ms[k], all.latency_ms[r]));
                    prop_assert_eq!((got.error_code.get(k), got.result.get(k)), (all.error_code.get(r), all.result.get(r)));
                    prop_assert!(same(got.cpu_ms.get(k), all.cpu_ms.get(r)) && same(got.memory_mb.get(k), all.memory_mb.get(r)));
                    prop_assert!(same(got.net_bytes.get(k), all.net_bytes.get(r)));
                    prop_assert_eq!(got.segments[0].get(k), all.segments[0].get(r));
                }
            }
            prop_assert!(seen.iter().all(|&s| s), "every row spilled");
        }
    }
}
