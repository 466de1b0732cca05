//! JUnit XML for CI: one `<testsuite>` per pack, one `<testcase>` per test.

use std::fmt::Write as _;

use crate::runner::TestResult;

/// The JUnit XML document for `results` (in their order; suites in order of first appearance).
pub fn junit_xml(results: &[TestResult]) -> String {
    let mut packs: Vec<&str> = Vec::new();
    for r in results {
        if !packs.contains(&r.pack.as_str()) {
            packs.push(&r.pack);
        }
    }
    let failed = results.iter().filter(|r| !r.passed()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"saker test\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
        results.len()
    );
    for pack in packs {
        let cases: Vec<&TestResult> = results.iter().filter(|r| r.pack == pack).collect();
        let failures = cases.iter().filter(|r| !r.passed()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
            escape(pack),
            cases.len()
        );
        for case in cases {
            let short = case
                .name
                .strip_prefix(&format!("{pack}/"))
                .unwrap_or(&case.name);
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"",
                escape(pack),
                escape(short),
                escape(&case.file.display().to_string())
            );
            if case.passed() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            let first = case
                .failures
                .first()
                .map(|f| f.message.as_str())
                .unwrap_or("");
            let mut body = String::new();
            for f in &case.failures {
                let _ = writeln!(
                    body,
                    "{}: {}",
                    if f.target.is_empty() {
                        "test"
                    } else {
                        &f.target
                    },
                    f.message
                );
                for row in &f.actual {
                    let cells: Vec<String> = row.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let _ = writeln!(body, "  actual: {}", cells.join(" "));
                }
            }
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"expectation\">{}</failure>",
                escape(first),
                escape(&body)
            );
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Failure;

    fn result(name: &str, fail: Option<&str>) -> TestResult {
        TestResult {
            name: format!("P/{name}"),
            pack: "P".into(),
            file: "p/tests/x.yml".into(),
            failures: fail
                .map(|m| {
                    vec![Failure {
                        target: "query.cql".into(),
                        message: m.into(),
                        expected: None,
                        actual: vec![vec![("a".into(), "<b>".into())]],
                    }]
                })
                .unwrap_or_default(),
        }
    }

    #[test]
    fn one_testcase_per_test_and_escaped_failures() {
        let xml = junit_xml(&[
            result("ok-one", None),
            result("bad", Some("expected 1 \"hit\"")),
        ]);
        assert_eq!(xml.matches("<testcase ").count(), 2);
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        assert!(xml.contains("message=\"expected 1 &quot;hit&quot;\""));
        assert!(xml.contains("a=&lt;b&gt;"));
        assert!(xml.contains("name=\"ok-one\" file=\"p/tests/x.yml\"/>"));
    }

    #[test]
    fn control_characters_do_not_break_the_document() {
        assert_eq!(escape("a\u{0}b"), "a\\u{0000}b");
    }
}
