//! Times raw-line prefilter strategies over an NDJSON file (single thread).
//! Usage: cargo run --release -p saker-exec --example prefilter_bench -- FILE QUERY_FILE

use std::time::Instant;

use aho_corasick::AhoCorasick;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(query)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: prefilter_bench FILE QUERY_FILE");
        return;
    };
    let data = std::fs::read(file).unwrap_or_default();
    let source = std::fs::read_to_string(query).unwrap_or_default();
    let plan = match saker_cql::compile(&source, &Default::default()) {
        Ok(p) => p,
        Err(_) => {
            eprintln!("query does not compile");
            return;
        }
    };
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let t = Instant::now();
    let mut n = 0usize;
    for l in &lines {
        n += l.len() & 1;
    }
    println!("lines {} (touch {n}) {:?}", lines.len(), t.elapsed());
    let Some(pf) = saker_exec::Prefilter::for_plan(&plan) else {
        println!("no prefilter");
        return;
    };
    println!("sets {:?}", pf.needle_sets());
    let t = Instant::now();
    let pass = lines.iter().filter(|l| pf.may_match(l)).count();
    println!("current: pass {pass} {:?}", t.elapsed());
    for (needles, ci) in pf.needle_sets() {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(ci)
            .build(&needles)
            .unwrap();
        let t = Instant::now();
        let pass = lines.iter().filter(|l| ac.is_match(l)).count();
        println!(
            "  set ci={ci} {} needles: pass {pass} {:?}",
            needles.len(),
            t.elapsed()
        );
        let alts: Vec<String> = needles.iter().map(|n| regex::escape(n)).collect();
        let re = regex::bytes::Regex::new(&format!(
            "{}(?:{})",
            if ci { "(?i-u)" } else { "(?-u)" },
            alts.join("|")
        ))
        .unwrap();
        let t = Instant::now();
        let pass = lines.iter().filter(|l| re.is_match(l)).count();
        println!("  regex: pass {pass} {:?}", t.elapsed());
        let t = Instant::now();
        let hits = re.find_iter(&data).count();
        println!("  regex whole buffer: hits {hits} {:?}", t.elapsed());
    }
}
