//! rejected.jsonl: a bounded sample of rejected rows (all are counted in verdict.json).

use super::Exporter;
use crate::analyze::Outcome;
use crate::error::Result;

pub struct RejectedJsonl;

impl Exporter for RejectedJsonl {
    fn file_name(&self) -> &'static str {
        "rejected.jsonl"
    }
    fn render(&self, outcome: &Outcome, _charts: &[super::charts::Chart]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for r in &outcome.rejected {
            if let Ok(line) = serde_json::to_vec(r) {
                out.extend_from_slice(&line);
                out.push(b'\n');
            }
        }
        Ok(out)
    }
}
