#!/usr/bin/env bash
# Issue 19's study: coverage and mean width of the canary (unpaired) V2/V1 quantile-ratio
# intervals for the method used before and the candidates, on V1 = 1,000,000 requests against V2
# of 2k-50k (log-normal body, Pareto tail). Prints the Markdown table of docs/statistics.md
# ("Canary intervals"). 10,000 seeds take ~10 minutes on 2 cores.
#
#   SEEDS=10000 OLD_SEEDS=1000 bash scripts/canary_coverage.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SHADOWGATE_STUDY_SEEDS="${SEEDS:-10000}" SHADOWGATE_STUDY_OLD_SEEDS="${OLD_SEEDS:-1000}" \
  cargo test --release --locked -- --ignored canary_intervals::canary_interval_study --nocapture --test-threads 1 2>&1 \
  | grep -vE '^(running|test result|     Running|    Finished|   Doc-tests)|^$'
