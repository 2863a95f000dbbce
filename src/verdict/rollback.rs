//! `rollback.drill`: after the flag was flipped back to V1, V2 stops serving within the threshold
//! (the plan: 2 minutes). A point measurement at per-second resolution from the logs.

use super::{verdict_word, Context, GateResult, Status};
use crate::policy::Gate;

pub(super) fn judge(g: &Gate, cx: &Context<'_>, r: &mut GateResult) {
    let Some(d) = cx.rollback else {
        r.message = "no rollback in this run: pass --rollback-at TIMESTAMP, or set [rollback] at or marker_column in the policy".into();
        return;
    };
    r.unit = "s";
    r.estimate = d.drain_seconds;
    r.lower = d.drain_seconds;
    r.upper = d.drain_seconds;
    r.test = format!("per-second request counts of both versions around the flip ({})", d.source);
    r.status = if d.drain_seconds > g.threshold {
        Status::Fail
    } else if d.drained {
        Status::Pass
    } else {
        Status::Inconclusive
    };
    let served = match &d.last_v2_request {
        Some(last) => format!("V2 served {} request(s) after the flip at {}, the last at {last}", d.v2_requests_after_flip, d.flip),
        None => format!("V2 served no request after the flip at {}", d.flip),
    };
    r.message = match r.status {
        Status::Inconclusive => format!(
            "{served}; the logs end at {} ({:.0} s after the flip) with no later V1 request, so they do not show V2 drained; limit {:.0} s: {}",
            d.logs_end,
            d.observed_seconds,
            g.threshold,
            verdict_word(r.status)
        ),
        _ => format!("{served}: drained in {:.0} s, limit {:.0} s: {}", d.drain_seconds, g.threshold, verdict_word(r.status)),
    };
}
