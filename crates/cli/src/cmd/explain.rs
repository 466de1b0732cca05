//! `saker explain CODE`: the documentation of a diagnostic code.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A diagnostic code such as `CQL0002` or `CQL-L005`; omit to list every code.
    code: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(code) = args.code else {
        for c in saker_cql::codes::CODES {
            println!("{:<9} {}", c.code, c.title);
        }
        return Ok(ExitCode::SUCCESS);
    };
    match saker_cql::codes::explain(&code) {
        Some(c) => {
            println!("{}: {}\n\n{}", c.code, c.title, wrap(c.explanation, 90));
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("error: unknown code `{code}`; `saker explain` lists the codes");
            Ok(ExitCode::from(2))
        }
    }
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}
