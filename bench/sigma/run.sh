#!/usr/bin/env bash
# Sigma hunting benchmark: SigmaHQ Windows rules over an EVTX corpus, side by side with other
# tools when their binaries are given. Prints one line per tool: wall seconds, peak RSS, hits.
#
# usage: bench/sigma/run.sh [CORPUS_DIR] [RUNS]
#   CORPUS_DIR  default ../shared/data/evtx (a ~1 GB copy: ../shared/tools/build_big_evtx.py)
#   RUNS        default 3 (median wall time reported)
# optional tools (skipped when unset):
#   RSIGMA=/path/to/rsigma  HAYABUSA=/path/to/hayabusa (run inside its folder)  CHAINSAW=/path/to/chainsaw
#   CHAINSAW_MAPPING=/path/to/sigma-event-logs-all.yml  HAYABUSA_RULES=/path/to/hayabusa-rules
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${SHARED:-$here/../shared}"
corpus="${1:-$shared/data/evtx}"
runs="${2:-3}"
rules="$shared/data/sigma/rules/rules/windows"
saker="${SAKER:-$here/target/release/saker}"
out="$(mktemp -d)"

measure() { # name, command...
  local name="$1"; shift
  local walls=() rss=0 hits=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$out/time" "$@" > "$out/hits" 2> "$out/err" || true
    read -r wall kb < "$out/time"
    walls+=("$wall"); rss=$(( kb > rss ? kb : rss ))
    hits=$(grep -c . "$out/hits" || true)
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-10s wall_median_s=%s peak_rss_mib=%s hits=%s\n' "$name" "$median" "$((rss / 1024))" "$hits"
  grep -E '^(events|hits|rules):' "$out/err" | sed "s/^/  $name: /" || true
}

measure saker "$saker" hunt -r "$rules" --format ndjson "$corpus"
if [[ -n "${RSIGMA:-}" ]]; then
  measure rsigma "$RSIGMA" eval -r "$rules" "$corpus"
fi
if [[ -n "${CHAINSAW:-}" ]]; then
  measure chainsaw "$CHAINSAW" hunt "$corpus" -s "$rules" --mapping "$CHAINSAW_MAPPING" --jsonl
fi
if [[ -n "${HAYABUSA:-}" ]]; then
  measure hayabusa "$HAYABUSA" dfir-timeline -d "$corpus" -r "$HAYABUSA_RULES" -w -q -K -N -Q -n -t jsonl -C
fi
rm -rf "$out"
