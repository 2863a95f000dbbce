//! `throughput.v2_peak`: V2 keeps up with V1's peak requests per minute (shadow mode).

use super::{pct, verdict_word, Context, GateResult, Status};
use crate::policy::{Gate, Mode};

pub(super) fn judge(g: &Gate, cx: &Context<'_>, r: &mut GateResult) {
    let (w, mode) = (cx.windows, cx.mode);
    let t = &w.throughput;
    let shortfall = 1.0 - t.v2_share_of_v1_peak;
    if mode == Mode::Canary {
        r.message = "canary mode: V2 serves only its share of the traffic, so its peak is not comparable with V1's".into();
    } else if shortfall.is_finite() {
        r.estimate = shortfall;
        r.lower = shortfall;
        r.upper = shortfall;
        r.status = if shortfall <= g.threshold { Status::Pass } else { Status::Fail };
        r.test = "point comparison of peak requests per window".into();
        r.message = format!(
            "V2 peaked at {:.1} requests/min against V1's {:.1} ({} of V1's peak), allowed shortfall {}: {}",
            t.v2.peak_per_minute,
            t.v1.peak_per_minute,
            pct(t.v2_share_of_v1_peak),
            pct(g.threshold),
            verdict_word(r.status)
        );
    } else {
        r.message = "no windows with requests".into();
    }
}
