//! The rollback drill, measured from the logs: given the moment the flag was flipped back to V1,
//! how long V2 kept serving (per-second resolution) and how many requests it served after the
//! flip. The rollout plan's acceptance criterion: rollback completes within 2 minutes.

use super::windows::rfc3339;
use serde::Serialize;

/// Where the flip time came from.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackDrill {
    pub flip: String,
    pub flip_ms: i64,
    /// "--rollback-at", "policy rollback.at", or "marker column COLUMN".
    pub source: String,
    /// V2 requests with a timestamp at or after the flip.
    pub v2_requests_after_flip: u64,
    /// The last V2 request at or after the flip (null when there is none).
    pub last_v2_request: Option<String>,
    /// Seconds from the flip to the end of the last second in which V2 served a request: V2's
    /// traffic share stays at 0% from then on. 0 when V2 served nothing after the flip.
    pub drain_seconds: f64,
    /// The last request of either version in the logs, and how long after the flip that is.
    pub logs_end: String,
    pub observed_seconds: f64,
    /// The logs show V2 at 0% after its last request: a request of V1 came later. False when the
    /// logs end while V2 may still be serving (or before the flip).
    pub drained: bool,
    /// Requests per second of each version from 60 s before the flip to 30 s after the drain (or
    /// the end of the logs), for the chart: (second since the epoch, V1, V2).
    #[serde(skip)]
    pub per_second: Vec<(i64, u64, u64)>,
}

/// Measures the drill from the kept rows' timestamps (epoch ms) of each version.
pub fn drill(
    flip_ms: i64,
    source: String,
    v1_ts: impl Iterator<Item = i64> + Clone,
    v2_ts: impl Iterator<Item = i64> + Clone,
) -> RollbackDrill {
    let sec = |ms: i64| ms.div_euclid(1000);
    let flip_sec = sec(flip_ms);
    let after: Vec<i64> = v2_ts.clone().filter(|&t| t >= flip_ms).collect();
    let last_v2 = after.iter().copied().max();
    let logs_end = v1_ts.clone().chain(v2_ts.clone()).max().unwrap_or(flip_ms);
    let drain_seconds = last_v2.map_or(0.0, |t| (sec(t) + 1 - flip_sec) as f64);
    let last_v1_after_v2 = v1_ts.clone().filter(|&t| last_v2.is_none_or(|l| sec(t) > sec(l)) && t >= flip_ms).max();
    let drained = last_v1_after_v2.is_some();
    let from = flip_sec - 60;
    let to = flip_sec + (drain_seconds as i64).max(1) + 30;
    let len = (to - from + 1).max(1) as usize;
    let mut counts = vec![(0u64, 0u64); len];
    for (ts, version) in [(Box::new(v1_ts) as Box<dyn Iterator<Item = i64>>, 0), (Box::new(v2_ts), 1)] {
        for t in ts {
            let s = sec(t);
            if (from..=to).contains(&s) {
                let c = &mut counts[(s - from) as usize];
                if version == 0 {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
        }
    }
    let per_second = counts.iter().enumerate().map(|(i, (a, b))| (from + i as i64, *a, *b)).collect();
    RollbackDrill {
        flip: rfc3339(flip_ms),
        flip_ms,
        source,
        v2_requests_after_flip: after.len() as u64,
        last_v2_request: last_v2.map(rfc3339),
        drain_seconds,
        logs_end: rfc3339(logs_end),
        observed_seconds: (logs_end - flip_ms) as f64 / 1000.0,
        drained,
        per_second,
    }
}
