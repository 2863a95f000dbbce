//! `cpu.utilization.warning`: V2's host CPU utilisation from `--resources` samples.

use super::{judge as judge_interval, verdict_word, Context, GateResult};
use crate::policy::Gate;

pub(super) fn judge(g: &Gate, cx: &Context<'_>, r: &mut GateResult) {
    let (host, conf) = (cx.host, cx.policy.analysis.confidence);
    match host.and_then(|h| h.v2.usage.get("cpu_pct")) {
        Some(u) => {
            r.estimate = u.mean.estimate;
            r.lower = u.mean.lower;
            r.upper = u.mean.upper;
            r.status = judge_interval(u.mean, g.threshold);
            r.test = format!("t interval over {} per-window means of host samples", u.windows);
            r.message = format!(
                "V2 host CPU utilisation averages {:.1}% ({:.0}% CI {:.1}% to {:.1}%, peak {:.1}%), limit {:.1}%: {}",
                u.mean.estimate,
                conf * 100.0,
                u.mean.lower,
                u.mean.upper,
                u.peak,
                g.threshold,
                verdict_word(r.status)
            );
        }
        None if host.is_some() => r.message = "the --resources samples have no V2 cpu_pct values".into(),
        None => r.message = "needs host resource samples: pass --resources PATH".into(),
    }
}
