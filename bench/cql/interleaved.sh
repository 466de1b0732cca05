#!/usr/bin/env bash
# saker and DuckDB interleaved with hyperfine: the seed query and groupBy(ComputerName) over the
# data of bench/seed_query.sh (same SQL, taken from that script). Tables go to OUT_DIR.
# usage: bench/cql/interleaved.sh [DATA] [RUNS]   (needs hyperfine, python3 with duckdb, and
#        a release build: cargo build --release -p saker-cli)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-/tmp/saker-bench-fdr-1024mb.ndjson}"
RUNS="${2:-7}"
OUT_DIR="${OUT_DIR:-/tmp}"
eval "$(sed -n '/^COLS=/,/^DUCK_GROUP=/p' bench/seed_query.sh)"
printf '%s' "$DUCK_SEED" > "$OUT_DIR/duck_seed.sql"
printf '%s' "$DUCK_GROUP" > "$OUT_DIR/duck_group.sql"
PY='import duckdb,sys; [print(r) for r in duckdb.sql(open(sys.argv[1]).read()).fetchall()]'
hyperfine -N -w 1 -r "$RUNS" --export-markdown "$OUT_DIR/hf-seed.md" \
  -n "saker seed" "target/release/saker run --format ndjson -f detections/T1588.004-cert-store-modification/query.cql $DATA" \
  -n "duckdb seed" "python3 -c '$PY' $OUT_DIR/duck_seed.sql"
hyperfine -N -w 1 -r "$RUNS" --export-markdown "$OUT_DIR/hf-group.md" \
  -n "saker groupBy" "target/release/saker run --format csv 'groupBy(ComputerName, function=count())' $DATA" \
  -n "duckdb group" "python3 -c '$PY' $OUT_DIR/duck_group.sql"
