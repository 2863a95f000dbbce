//! Sustained-breach rules (`window.*` statistics): a per-window series above its threshold for
//! `for_windows` consecutive windows.

use super::{description, Context, GateResult, Status};
use crate::policy::Gate;

pub(super) fn judge(id: &str, g: &Gate, cx: &Context<'_>, r: &mut GateResult) {
    let w = cx.windows;
    let fw = g.for_windows.unwrap_or(1);
    r.comparison = "at_most";
    r.unit = "windows";
    r.threshold = f64::from(fw.saturating_sub(1));
    r.test = format!(
        "sustained: {} > {} in {fw} consecutive {}-minute windows (>= {} requests each)",
        g.statistic, g.threshold, w.width_minutes, w.min_requests
    );
    match w.rules.get(id) {
        Some(o) if o.eligible_windows > 0 => {
            let streak = f64::from(o.longest_streak);
            r.estimate = streak;
            r.lower = streak;
            r.upper = streak;
            let fired: Vec<_> = o.breaches.iter().filter(|b| b.fired).collect();
            if fired.is_empty() {
                r.status = Status::Pass;
                r.message = format!(
                    "{}: longest run above {} was {} window(s) of {} eligible; fires at {fw}: pass",
                    description(&g.statistic),
                    g.threshold,
                    o.longest_streak,
                    o.eligible_windows
                );
            } else {
                r.status = Status::Fail;
                let b = fired[0];
                r.message = format!(
                    "{}: above {} for {} consecutive windows from {} to {} (peak {:.4}){}: FAIL",
                    description(&g.statistic),
                    g.threshold,
                    b.windows,
                    b.start,
                    b.end,
                    b.peak,
                    if b.shared_with_v1 { "; V1 breached in the same windows, so the cause may be upstream" } else { "" }
                );
            }
        }
        _ => {
            r.message = format!(
                "no {}-minute window had at least {} V2 requests, so the rule cannot be evaluated",
                w.width_minutes, w.min_requests
            );
        }
    }
}
