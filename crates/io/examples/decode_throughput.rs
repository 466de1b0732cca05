//! Decode-only throughput: reads inputs with `par_map_batches` and counts events, printing bytes,
//! events and the process CPU time, so MB per CPU-second can be read off.
//!
//! `cargo run --release -p saker-io --example decode_throughput -- FILE…`

use std::path::PathBuf;
use std::time::Instant;

fn cpu_seconds() -> f64 {
    // utime + stime of this process from /proc (Linux); 0 elsewhere.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let inputs = match saker_io::expand_inputs(&paths) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let bytes: u64 = inputs.iter().filter_map(|i| i.size()).sum();
    let start = Instant::now();
    let mut events = 0usize;
    let stats = saker_io::par_map_batches(
        &inputs,
        &saker_io::ReadOptions::default(),
        |batch| batch.len(),
        |n| events += n,
        |m| eprintln!("{m}"),
    );
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds();
    let mb = bytes as f64 / 1e6;
    match stats {
        Ok(s) => println!(
            "{events} events, {} malformed, {mb:.1} MB, wall {wall:.2} s ({:.0} MB/s), cpu {cpu:.2} s ({:.0} MB per CPU-second)",
            s.malformed,
            mb / wall,
            mb / cpu.max(1e-9)
        ),
        Err(e) => eprintln!("error: {e}"),
    }
}
