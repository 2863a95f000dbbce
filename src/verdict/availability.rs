//! `availability.minute`: V2's success ratio in every minute against the plan's 99.9%, and over
//! the whole run. Fails when some minute's (Bonferroni-adjusted) interval lies wholly below the
//! target or the whole run's does; passes when no minute is below and the whole run's interval
//! lies at or above it.

use super::{pct, verdict_word, Context, GateResult, Status};
use crate::policy::Gate;

pub(super) fn judge(g: &Gate, cx: &Context<'_>, r: &mut GateResult) {
    r.comparison = "at_least";
    let Some(a) = cx.windows.availability.as_ref() else {
        r.message = "no availability series (the gate's statistic was not computed)".into();
        return;
    };
    if a.v2_requests == 0 {
        r.message = "no V2 requests".into();
        return;
    }
    r.estimate = a.v2.estimate;
    r.lower = a.v2.lower;
    r.upper = a.v2.upper;
    let run_below = a.v2.upper < g.threshold;
    r.status = if !a.below.is_empty() || run_below {
        Status::Fail
    } else if a.v2.lower >= g.threshold {
        Status::Pass
    } else {
        Status::Inconclusive
    };
    r.test = format!(
        "Wilson / Clopper-Pearson intervals: per {}-minute window at confidence {:.5} (Bonferroni over {} windows with >= {} requests; {} sparser skipped), over the run at {:.2}",
        a.width_minutes, a.window_confidence, a.eligible_windows, a.min_requests, a.sparse_windows, cx.policy.analysis.confidence
    );
    let minutes = match a.below.len() {
        0 => "no minute fell below".to_string(),
        k => format!(
            "{k} minute(s) fell below (first {}: {} on {} requests){}",
            a.below[0].start,
            pct(a.below[0].availability.estimate),
            a.below[0].requests,
            match a.shared_with_v1 {
                0 => "; V1 did not fall below in those minutes".to_string(),
                s if s as usize == k => "; V1 fell below in the same minutes, so the cause may be upstream".to_string(),
                s => format!("; V1 fell below in {s} of them"),
            }
        ),
    };
    r.message = format!(
        "V2 availability {} over the run (CI {} to {}; V1 {}), target {}; {minutes}: {}",
        pct(a.v2.estimate),
        pct(a.v2.lower),
        pct(a.v2.upper),
        pct(a.v1.estimate),
        pct(g.threshold),
        verdict_word(r.status)
    );
}
