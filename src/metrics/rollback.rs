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

/// The rollback drill as a mergeable summary (issue 13): the kept rows' timestamps folded a
/// partition at a time into V2's count and last request at or after the flip, the last request
/// of either version, V1's last request at or after the flip, and the requests per second of
/// each version from 60 s before the flip on (at most one entry per second of the logs).
/// [`RollbackSummary::drill`] gives what [`drill`] gives.
#[derive(Debug, Clone)]
pub struct RollbackSummary {
    flip_ms: i64,
    v2_after: u64,
    last_v2: Option<i64>,
    last_v1_after: Option<i64>,
    logs_end: Option<i64>,
    per_second: std::collections::BTreeMap<i64, (u64, u64)>,
}

impl RollbackSummary {
    pub fn new(flip_ms: i64) -> RollbackSummary {
        RollbackSummary { flip_ms, v2_after: 0, last_v2: None, last_v1_after: None, logs_end: None, per_second: Default::default() }
    }

    /// Counts one kept request of V1 (`v2` false) or V2 at `ts` (epoch ms).
    pub fn add(&mut self, v2: bool, ts: i64) {
        let later = |a: Option<i64>| Some(a.map_or(ts, |a| a.max(ts)));
        self.logs_end = later(self.logs_end);
        if ts >= self.flip_ms {
            if v2 {
                self.v2_after += 1;
                self.last_v2 = later(self.last_v2);
            } else {
                self.last_v1_after = later(self.last_v1_after);
            }
        }
        let s = ts.div_euclid(1000);
        if s >= self.flip_ms.div_euclid(1000) - 60 {
            let c = self.per_second.entry(s).or_insert((0, 0));
            if v2 {
                c.1 += 1;
            } else {
                c.0 += 1;
            }
        }
    }

    pub fn merge(&mut self, o: &RollbackSummary) {
        let later = |a: Option<i64>, b: Option<i64>| a.max(b);
        self.v2_after += o.v2_after;
        self.last_v2 = later(self.last_v2, o.last_v2);
        self.last_v1_after = later(self.last_v1_after, o.last_v1_after);
        self.logs_end = later(self.logs_end, o.logs_end);
        for (&s, &(a, b)) in &o.per_second {
            let c = self.per_second.entry(s).or_insert((0, 0));
            (c.0, c.1) = (c.0 + a, c.1 + b);
        }
    }

    /// The drill, as [`drill`] measures it from every kept row.
    pub fn drill(&self, source: String) -> RollbackDrill {
        let sec = |ms: i64| ms.div_euclid(1000);
        let flip_sec = sec(self.flip_ms);
        let drain_seconds = self.last_v2.map_or(0.0, |t| (sec(t) + 1 - flip_sec) as f64);
        // A V1 request in a later second than V2's last one (both at or after the flip).
        let drained = self.last_v1_after.is_some_and(|t| self.last_v2.is_none_or(|l| sec(t) > sec(l)));
        let from = flip_sec - 60;
        let to = flip_sec + (drain_seconds as i64).max(1) + 30;
        let per_second =
            (from..=to).map(|s| (s, self.per_second.get(&s).map_or(0, |c| c.0), self.per_second.get(&s).map_or(0, |c| c.1))).collect();
        let logs_end = self.logs_end.unwrap_or(self.flip_ms);
        RollbackDrill {
            flip: rfc3339(self.flip_ms),
            flip_ms: self.flip_ms,
            source,
            v2_requests_after_flip: self.v2_after,
            last_v2_request: self.last_v2.map(rfc3339),
            drain_seconds,
            logs_end: rfc3339(logs_end),
            observed_seconds: (logs_end - self.flip_ms) as f64 / 1000.0,
            drained,
            per_second,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{drill, RollbackSummary};
    use proptest::prelude::*;

    proptest! {
        /// The drill from summaries of the timestamps in 1-3 parts is the drill from every row,
        /// to the byte and the per-second series: flips before, inside and after the logs, V2
        /// draining or not, V1 in V2's last second.
        #[test]
        fn the_drill_from_merged_summaries_is_the_drill(
            v1 in proptest::collection::vec(0i64..400_000, 0..80),
            v2 in proptest::collection::vec(0i64..400_000, 0..80),
            flip in prop_oneof![Just(-5_000i64), 0i64..400_000, Just(500_000)],
            parts in 1usize..4,
        ) {
            let base = 1_764_000_000_000i64;
            let (v1, v2): (Vec<i64>, Vec<i64>) = (v1.iter().map(|t| base + t).collect(), v2.iter().map(|t| base + t).collect());
            let want = drill(base + flip, "--rollback-at".into(), v1.iter().copied(), v2.iter().copied());
            let mut merged = RollbackSummary::new(base + flip);
            for p in 0..parts {
                let mut part = RollbackSummary::new(base + flip);
                v1.iter().enumerate().filter(|(k, _)| k % parts == p).for_each(|(_, &t)| part.add(false, t));
                v2.iter().enumerate().filter(|(k, _)| (k + 1) % parts == p).for_each(|(_, &t)| part.add(true, t));
                merged.merge(&part);
            }
            let got = merged.drill("--rollback-at".into());
            prop_assert_eq!(serde_json::to_string(&got).expect("serializes"), serde_json::to_string(&want).expect("serializes"));
            prop_assert_eq!(got.per_second, want.per_second);
        }
    }
}
