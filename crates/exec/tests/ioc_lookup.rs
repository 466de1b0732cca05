//! `ioc:lookup()` over an IOC table given with `Options::iocs`.
//!
//! <https://library.humio.com/data-analysis/functions-ioc-lookup.html>: `confidenceThreshold`
//! (default `high`) is "the lowest level of confidence of IOCs to consider" (unverified < low <
//! medium < high); `strict=true` outputs "only … events where at least one of the selected fields
//! matches an IOC"; `prefix` (default `ioc`) names the output fields, which are arrays
//! (`ioc[0].labels`, as queries in the wild read them) plus `<prefix>.detected`.

mod common;

use common::{col, get, run_with};
use saker_exec::{Options, Query};

const TABLE: &str = "indicator,type,malicious_confidence,labels,published_date,last_updated
45.33.32.156,ip_address,high,\"Actor/FANCYBEAR,Malware/X\",1700000000,1700000001
185.159.83.24,ip_address,low,Actor/LOWBEAR,1700000000,1700000001
evil.example.com,domain,medium,Malware/Y,1,2
";

fn options(name: &str) -> Options {
    let path = std::env::temp_dir().join(format!("saker-iocs-{}-{name}.csv", std::process::id()));
    std::fs::write(&path, TABLE).expect("write IOC table");
    Options {
        iocs: Some(path),
        ..Options::default()
    }
}

const EVENTS: &[&[(&str, &str)]] = &[
    &[("src_ip", "45.33.32.156")],
    &[("src_ip", "185.159.83.24")],
    &[("src_ip", "10.0.0.1")],
    &[("d", "EVIL.example.com")],
];

#[test]
fn default_threshold_is_high_and_every_event_passes() {
    let out = run_with(
        "ioc:lookup(src_ip, type=ip_address)",
        &options("default"),
        EVENTS,
    );
    assert_eq!(out.len(), 4);
    assert_eq!(get(&out[0], "ioc[0].indicator"), Some("45.33.32.156"));
    assert_eq!(
        get(&out[0], "ioc[0].labels"),
        Some("Actor/FANCYBEAR,Malware/X")
    );
    assert_eq!(get(&out[0], "ioc[0].malicious_confidence"), Some("high"));
    assert_eq!(get(&out[0], "ioc.detected"), Some("true"));
    // The low-confidence IOC is below the default threshold.
    assert_eq!(get(&out[1], "ioc.detected"), None);
}

#[test]
fn strict_threshold_prefix_include_and_several_fields() {
    let q = "ioc:lookup(field=[src_ip, d], type=[ip_address, domain], \
             confidenceThreshold=Unverified, strict=true, prefix=x, include=[indicator])";
    let out = run_with(q, &options("strict"), EVENTS);
    assert_eq!(
        col(&out, "x[0].indicator"),
        vec![
            Some("45.33.32.156"),
            Some("185.159.83.24"),
            Some("evil.example.com")
        ]
    );
    assert!(out.iter().all(|r| get(r, "x[0].labels").is_none()));
    // A type not asked for is not looked up.
    let out = run_with(
        "ioc:lookup(d, type=ip_address, confidenceThreshold=low, strict=true)",
        &options("types"),
        EVENTS,
    );
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn a_table_without_the_indicator_column_is_refused() {
    let path = std::env::temp_dir().join(format!("saker-iocs-{}-bad.csv", std::process::id()));
    std::fs::write(&path, "ip,type\n1.2.3.4,ip_address\n").expect("write IOC table");
    let opts = Options {
        iocs: Some(path),
        ..Options::default()
    };
    let plan = saker_cql::compile("ioc:lookup(src_ip, type=ip_address)", &Default::default())
        .expect("query parses");
    let err = Query::compile(&plan, &opts).err().expect("refused");
    assert!(err.to_string().contains("no `indicator` column"), "{err}");
}

#[test]
fn without_a_table_the_query_does_not_compile() {
    let plan = saker_cql::compile("ioc:lookup(src_ip, type=ip_address)", &Default::default())
        .expect("query parses");
    let err = Query::compile(&plan, &Options::default())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("--iocs"), "{err}");
}
