//! verdict.json: the machine-readable verdict.

use super::Exporter;
use crate::analyze::Outcome;
use crate::error::{Error, Result};

pub struct Json;

impl Exporter for Json {
    fn file_name(&self) -> &'static str {
        "verdict.json"
    }
    fn render(&self, outcome: &Outcome, _charts: &[super::charts::Chart]) -> Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(&outcome.verdict)
            .map_err(|e| Error::Output { path: "verdict.json".into(), source: std::io::Error::other(e) })?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
