//! discrepancies.parquet: every mismatched pair (correlation id, segment values, differing paths
//! and kinds, both results, both latencies), so engineers can query them with any Parquet reader.

use super::charts::Chart;
use super::Exporter;
use crate::analyze::Outcome;
use crate::error::{Error, Result};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

/// Rows per row group of the Parquet files shadowgate writes: small enough that a reader
/// decodes a file in parallel, large enough to compress well.
pub const ROW_GROUP_ROWS: usize = 262_144;

/// Writes one batch as a zstd-compressed Parquet file. Columns named in `plain` (ids, latencies
/// and other values that rarely repeat) skip dictionary encoding: a dictionary of unique values
/// only grows until the writer falls back, and costs readers a second decode path.
pub fn write<W: std::io::Write + Send>(
    out: W,
    batch: &RecordBatch,
    plain: &[&str],
) -> std::result::Result<(), parquet::errors::ParquetError> {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
    for c in plain {
        props = props.set_column_dictionary_enabled(parquet::schema::types::ColumnPath::from(*c), false);
    }
    let props = props.build();
    let mut w = ArrowWriter::try_new(out, batch.schema(), Some(props))?;
    w.write(batch)?;
    w.close()?;
    Ok(())
}

pub struct DiscrepanciesParquet;

impl Exporter for DiscrepanciesParquet {
    fn file_name(&self) -> &'static str {
        "discrepancies.parquet"
    }
    fn render(&self, o: &Outcome, _charts: &[Chart]) -> Result<Vec<u8>> {
        let ds = &o.dataset;
        let d = &o.verdict.metrics.discrepancy;
        let p = &ds.pairing;
        let rows: Vec<(usize, usize, &Vec<crate::metrics::canonical::FieldDiff>)> =
            d.mismatched.iter().map(|(i, diffs)| (p.v1_index[*i] as usize, p.v2_index[*i] as usize, diffs)).collect();
        let perr = |e: &dyn std::fmt::Display| Error::Output {
            path: "discrepancies.parquet".into(),
            source: std::io::Error::other(e.to_string()),
        };
        let strings = |v: Vec<Option<&str>>| -> ArrayRef { Arc::new(StringArray::from(v)) };
        let owned = |v: Vec<String>| -> ArrayRef { Arc::new(StringArray::from(v)) };
        let mut cols: Vec<(String, ArrayRef)> = vec![
            ("correlation_id".into(), strings(rows.iter().map(|(a, _, _)| Some(ds.v1.id.get(*a))).collect())),
            ("paths".into(), owned(rows.iter().map(|(_, _, f)| f.iter().map(|x| x.path.as_str()).collect::<Vec<_>>().join(";")).collect())),
            (
                "kinds".into(),
                owned(
                    rows.iter().map(|(_, _, f)| f.iter().map(|x| format!("{}:{}", x.path, x.kind)).collect::<Vec<_>>().join(";")).collect(),
                ),
            ),
            ("v1_result".into(), strings(rows.iter().map(|(a, _, _)| ds.v1.result.get(*a)).collect())),
            ("v2_result".into(), strings(rows.iter().map(|(_, b, _)| ds.v2.result.get(*b)).collect())),
            ("v1_latency_ms".into(), Arc::new(Float64Array::from_iter_values(rows.iter().map(|(a, _, _)| ds.v1.latency_ms[*a])))),
            ("v2_latency_ms".into(), Arc::new(Float64Array::from_iter_values(rows.iter().map(|(_, b, _)| ds.v2.latency_ms[*b])))),
        ];
        for (s, name) in ds.v1.segment_names.iter().enumerate() {
            let values: Vec<Option<&str>> = rows.iter().map(|(a, b, _)| ds.v1.segments[s].get(*a).or(ds.v2.segments[s].get(*b))).collect();
            cols.push((format!("segment.{name}"), strings(values)));
        }
        let batch = RecordBatch::try_from_iter(cols).map_err(|e| perr(&e))?;
        let mut out = Vec::new();
        write(&mut out, &batch, &["correlation_id", "paths", "kinds", "v1_latency_ms", "v2_latency_ms"]).map_err(|e| perr(&e))?;
        Ok(out)
    }
}
