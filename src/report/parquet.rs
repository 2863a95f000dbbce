//! discrepancies.parquet: every mismatched pair (correlation id, segment values, differing paths
//! and kinds, both results, both latencies), so engineers can query them with any Parquet reader.

use super::charts::Chart;
use super::Exporter;
use crate::analyze::Outcome;
use crate::error::{Error, Result};
use polars::prelude::*;

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
        let perr = |e: PolarsError| Error::Output { path: "discrepancies.parquet".into(), source: std::io::Error::other(e.to_string()) };
        let mut cols = vec![
            Column::new("correlation_id".into(), rows.iter().map(|(a, _, _)| ds.v1.id.get(*a)).collect::<Vec<_>>()),
            Column::new(
                "paths".into(),
                rows.iter().map(|(_, _, f)| f.iter().map(|x| x.path.as_str()).collect::<Vec<_>>().join(";")).collect::<Vec<_>>(),
            ),
            Column::new(
                "kinds".into(),
                rows.iter()
                    .map(|(_, _, f)| f.iter().map(|x| format!("{}:{}", x.path, x.kind)).collect::<Vec<_>>().join(";"))
                    .collect::<Vec<_>>(),
            ),
            Column::new("v1_result".into(), rows.iter().map(|(a, _, _)| ds.v1.result.get(*a)).collect::<Vec<_>>()),
            Column::new("v2_result".into(), rows.iter().map(|(_, b, _)| ds.v2.result.get(*b)).collect::<Vec<_>>()),
            Column::new("v1_latency_ms".into(), rows.iter().map(|(a, _, _)| ds.v1.latency_ms[*a]).collect::<Vec<_>>()),
            Column::new("v2_latency_ms".into(), rows.iter().map(|(_, b, _)| ds.v2.latency_ms[*b]).collect::<Vec<_>>()),
        ];
        for (s, name) in ds.v1.segment_names.iter().enumerate() {
            let values: Vec<Option<&str>> = rows.iter().map(|(a, b, _)| ds.v1.segments[s].get(*a).or(ds.v2.segments[s].get(*b))).collect();
            cols.push(Column::new(format!("segment.{name}").into(), values));
        }
        let mut df = DataFrame::new(rows.len(), cols).map_err(perr)?;
        let mut out = Vec::new();
        ParquetWriter::new(&mut out).with_compression(ParquetCompression::Zstd(None)).finish(&mut df).map_err(perr)?;
        Ok(out)
    }
}
