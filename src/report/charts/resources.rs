//! V2/V1 resource ratios (per request, and host samples when given) with intervals and limits.

use super::bars::{draw, Bar, Spec};
use super::{Chart, V2};
use crate::analyze::Outcome;
use crate::error::Result;

pub fn render(o: &Outcome) -> Result<Option<Chart>> {
    let v = &o.verdict;
    let mut bars: Vec<Bar> = v
        .metrics
        .resources
        .iter()
        .map(|(name, r)| Bar {
            label: format!("{name} per request"),
            value: r.ratio.interval.estimate,
            interval: Some((r.ratio.interval.lower, r.ratio.interval.upper)),
            color: V2,
        })
        .collect();
    if let Some(h) = &v.resources {
        bars.extend(h.ratios.iter().map(|(name, r)| Bar {
            label: format!("host {name}"),
            value: r.interval.estimate,
            interval: Some((r.interval.lower, r.interval.upper)),
            color: V2,
        }));
    }
    let lat = &v.metrics.latency_ms.comparison.ratios;
    for q in ["p50", "p95", "p99", "mean"] {
        if let Some(r) = lat.get(q) {
            bars.push(Bar {
                label: format!("latency {q}"),
                value: r.interval.estimate,
                interval: Some((r.interval.lower, r.interval.upper)),
                color: super::V1,
            });
        }
    }
    if bars.is_empty() {
        return Ok(None);
    }
    // One dashed line per distinct margin, labelled with every blocking V2/V1 gate that uses it.
    let mut refs: Vec<(String, f64)> = vec![("V1 = 1".to_string(), 1.0)];
    for id in ["latency.p95.vs_v1", "latency.p99.vs_v1", "latency.mean.vs_v1", "memory.vs_v1"] {
        if let Some(g) = v.policy.gates.get(id).filter(|g| g.enabled) {
            let short = id.trim_end_matches(".vs_v1");
            match refs.iter_mut().find(|r| r.1 == g.threshold) {
                Some(r) => r.0 = format!("{}, {short}", r.0),
                None => refs.push((short.to_string(), g.threshold)),
            }
        }
    }
    let min = bars.iter().filter_map(|b| b.interval.map(|i| i.0)).filter(|x| x.is_finite()).fold(1.0, f64::min);
    let spec = Spec {
        name: "resources",
        title: "V2 relative to V1 (ratio, 95% CI)",
        x_desc: "V2 / V1 (1 = same as V1)",
        percent: false,
        references: refs,
        x_min: (min * 0.9).min(0.9),
    };
    Ok(Some(Chart {
        name: "resources",
        title: "Resources and latency relative to V1".into(),
        caption: "V2/V1 ratios with confidence intervals: per-request CPU, memory and network (orange), host samples when given, and latency percentiles and mean (blue). Dashed lines mark parity and the gates' margins; a whisker wholly right of a margin fails that gate.".into(),
        png: draw(&spec, &bars)?,
    }))
}
