//! Parses the files given on the command line and prints the first error of each
//! (`cargo run -p saker-cql --example cqlparse -- FILE…`); `--ast` prints the tree.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ast = args.iter().any(|a| a == "--ast");
    let plan = args.iter().any(|a| a == "--plan");
    let check = args.iter().any(|a| a == "--check");
    let fmt = args.iter().any(|a| a == "--fmt");
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("{path}: unreadable");
            continue;
        };
        let (q, diags) = saker_cql::parse(&text);
        for d in diags.iter().filter(|d| d.is_error()).take(1) {
            let (l, c) = saker_diag::line_col(&text, d.span.start);
            println!("{path}:{l}:{c}: {} {}", d.code, d.message);
        }
        if check {
            for d in saker_cql::check(&text, &Default::default()) {
                let (l, c) = saker_diag::line_col(&text, d.span.start);
                println!("{path}:{l}:{c}: {:?} {} {}", d.severity, d.code, d.message);
            }
        }
        if fmt {
            match saker_cql::format(&text) {
                Ok(f) => print!("{f}"),
                Err(e) => println!("{e:#?}"),
            }
        }
        if ast {
            println!("{q:#?}");
        }
        if plan {
            match saker_cql::compile(&text, &Default::default()) {
                Ok(p) => println!("{p:#?}\n---\n{}", saker_cql::print(&p)),
                Err(e) => println!("{e:#?}"),
            }
        }
    }
}
