//! Multiple-comparison control.

/// Benjamini-Hochberg adjusted p-values (q-values) controlling the false discovery rate
/// (Benjamini & Hochberg 1995): q_(i) = min_{j >= i} min(1, p_(j) m / j), returned in input order;
/// SciPy's `false_discovery_control(method="bh")`. NaN p-values stay NaN and do not count in m.
/// O(m log m).
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = idx.len() as f64;
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in idx.iter().enumerate().rev() {
        let v = (p[i] * m / (rank + 1) as f64).min(1.0);
        running = running.min(v);
        q[i] = running;
    }
    q
}
