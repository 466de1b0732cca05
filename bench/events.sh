#!/usr/bin/env bash
# Throughput of `saker events` next to `jq -c .` (NDJSON) and `evtx_dump` (EVTX).
#
# Needs: a release build (cargo build --release -p saker-cli), hyperfine, jq, GNU time, and
# evtx_dump from the same evtx release saker pins (cargo install evtx --version 0.15.1 --locked).
# Generates bench/data/fdr_1g.ndjson (gitignored) when missing. Results: bench/results/events.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SAKER=${SAKER:-target/release/saker}
EVTX_DUMP=${EVTX_DUMP:-evtx_dump}
NDJSON=bench/data/fdr_1g.ndjson
EVTX_DIR=${EVTX_DIR:-../shared/data/evtx}
RUNS=${RUNS:-3}

[ -f "$NDJSON" ] || python3 bench/gen_fdr.py --size-mb 1024 --out "$NDJSON"
gzip -1 -c "$NDJSON" > "$NDJSON.gz.tmp" && mv "$NDJSON.gz.tmp" "$NDJSON.gz" 2>/dev/null || true

echo "== NDJSON: $(du -m "$NDJSON" | cut -f1) MB, $(wc -l < "$NDJSON") events; $(nproc) cores"
hyperfine --warmup 1 --runs "$RUNS" --export-markdown bench/data/ndjson.md \
  -n "saker events (ndjson out)" "$SAKER events $NDJSON > /dev/null 2>&1" \
  -n "saker events --fields (decode only)" "$SAKER events --fields $NDJSON > /dev/null 2>&1" \
  -n "saker events (gzip input)" "$SAKER events $NDJSON.gz > /dev/null 2>&1" \
  -n "jq -c ." "jq -c . $NDJSON > /dev/null"

echo "== CPU time (GNU time -v)"
for cmd in "$SAKER events $NDJSON" "$SAKER events --fields $NDJSON" "jq -c . $NDJSON"; do
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB max RSS: $cmd" $cmd > /dev/null 2> bench/data/time.txt || true
  tail -1 bench/data/time.txt
done

echo "== EVTX: $(find "$EVTX_DIR" -name '*.evtx' | wc -l) files, $(find "$EVTX_DIR" -name '*.evtx' -print0 | du -cm --files0-from=- | tail -1 | cut -f1) MB"
find "$EVTX_DIR" -name '*.evtx' -print0 > bench/data/evtx_files
hyperfine --warmup 1 --runs "$RUNS" --export-markdown bench/data/evtx.md \
  -n "saker events (all cores)" "$SAKER events $EVTX_DIR > /dev/null 2>&1" \
  -n "evtx_dump -o jsonl, one process per file, 2 in parallel" \
     "xargs -0 -P $(nproc) -n 1 $EVTX_DUMP -o jsonl < bench/data/evtx_files > /dev/null 2>&1" \
  -n "evtx_dump -o jsonl, one process per file, sequential" \
     "xargs -0 -n 1 $EVTX_DUMP -o jsonl < bench/data/evtx_files > /dev/null 2>&1"
for cmd in "$SAKER events $EVTX_DIR"; do
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB max RSS: $cmd" $cmd > /dev/null 2> bench/data/time.txt || true
  tail -1 bench/data/time.txt
done
