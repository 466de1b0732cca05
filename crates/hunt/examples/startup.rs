//! Where start-up time and memory go: loads a rule folder, builds the hunt, and prints the
//! resident set and elapsed time after each step.
//!
//! usage: cargo run --release -p saker-hunt --example startup -- RULES_DIR

use std::path::PathBuf;
use std::time::Instant;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: startup RULES_DIR");
        std::process::exit(2);
    };
    let t = Instant::now();
    println!("start: {:.1} MiB", rss_mib());
    let set = saker_sigma::load(&[PathBuf::from(dir)], &saker_sigma::Options::default());
    println!(
        "loaded {} rules: {:.1} MiB, {:.2} s",
        set.rules.len(),
        rss_mib(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let (hunt, errors) = saker_hunt::Hunt::new(&set, &|_| true);
    // Automata are otherwise built when an event first reaches their bucket.
    hunt.build_prefilters();
    println!(
        "hunt built ({} buckets, {} distinct leaves, {:.1} MiB of automata, {} errors): {:.1} MiB, {:.2} s",
        hunt.bucket_count(),
        hunt.leaf_count(),
        hunt.prefilter_memory() as f64 / 1048576.0,
        errors.len(),
        rss_mib(),
        t.elapsed().as_secs_f64()
    );
    let mut shapes = hunt.bucket_shapes();
    shapes.sort_by_key(|s| std::cmp::Reverse(s.0));
    println!(
        "largest buckets (variants, always evaluated): {:?}",
        &shapes[..shapes.len().min(12)]
    );
    drop(set);
    println!("rule set dropped: {:.1} MiB", rss_mib());
}
