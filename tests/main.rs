//! The one integration-test binary (autotests = false): CLI-level tests in modules.

mod calibration;
mod canary;
mod canary_intervals;
mod common;
mod discrepancy;
mod engines;
mod errors;
mod exit_codes;
mod formats;
mod fuzz;
mod hostile;
mod interrupt;
mod latency_gates;
mod out_of_core;
mod outputs;
mod policy;
mod rejection;
mod report;
mod rollout_evidence;
mod telemetry;
mod time;
