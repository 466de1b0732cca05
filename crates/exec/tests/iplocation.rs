//! `ipLocation()` over a hand-built MaxMind City database.
//! <https://library.humio.com/data-analysis/functions-iplocation.html> — `field` defaults to
//! `ip`, the output prefix `as` to the field name: `<as>.country`, `<as>.city`, `<as>.lon`,
//! `<as>.lat`.

mod common;
mod mmdb;

use common::run_with as run;
use saker_exec::{Options, Query};

use mmdb::City;

fn database() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("saker-geo-{}.mmdb", std::process::id()));
    let db = mmdb::build(&[
        (
            "81.2.69.0",
            24,
            City {
                country: "GB",
                city: "London",
                state: Some("England"),
                lat: 51.5142,
                lon: -0.0931,
            },
        ),
        (
            "2001:db8::",
            32,
            City {
                country: "SE",
                city: "Linköping",
                state: None,
                lat: 58.4167,
                lon: 15.6167,
            },
        ),
    ]);
    std::fs::write(&path, db).expect("write database");
    path
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn adds_country_city_state_and_coordinates() {
    let path = database();
    let opts = Options {
        geoip: Some(path.clone()),
        ..Options::default()
    };
    let input: &[&[(&str, &str)]] = &[
        &[("ip", "81.2.69.160")],
        &[("ip", "2001:db8::1")],
        &[("ip", "10.0.0.1")],
        &[("ip", "not an address")],
        &[("other", "81.2.69.160")],
    ];
    let out = run("ipLocation()", &opts, input);
    assert_eq!(
        out,
        vec![
            pairs(&[
                ("ip", "81.2.69.160"),
                ("ip.country", "GB"),
                ("ip.city", "London"),
                ("ip.state", "England"),
                ("ip.lat", "51.5142"),
                ("ip.lon", "-0.0931"),
            ]),
            pairs(&[
                ("ip", "2001:db8::1"),
                ("ip.country", "SE"),
                ("ip.city", "Linköping"),
                ("ip.lat", "58.4167"),
                ("ip.lon", "15.6167"),
            ]),
            pairs(&[("ip", "10.0.0.1")]),
            pairs(&[("ip", "not an address")]),
            pairs(&[("other", "81.2.69.160")]),
        ]
    );
    // The prefix defaults to the field name; `as` overrides it.
    let out = run("ipLocation(other)", &opts, &input[4..]);
    assert_eq!(out[0][1], ("other.country".to_owned(), "GB".to_owned()));
    let out = run("ipLocation(field=other, as=geo)", &opts, &input[4..]);
    assert_eq!(out[0][2], ("geo.city".to_owned(), "London".to_owned()));
    std::fs::remove_file(&path).ok();
}

#[test]
fn without_a_database_the_query_does_not_compile() {
    let plan = saker_cql::compile("ipLocation(ip)", &Default::default()).expect("query compiles");
    let err = Query::compile(&plan, &Options::default())
        .err()
        .expect("no database: compile error");
    assert!(err.to_string().contains("--geoip"), "{err}");
}

/// `asn()`: <https://library.humio.com/data-analysis/functions-asn.html> — "The autonomous system
/// number will be written as `<as>.asn`, and organization name as `<as>.org`"; `field` defaults
/// to `ip`, `as` to the field name.
#[test]
fn asn_adds_number_and_organisation() {
    let path = std::env::temp_dir().join(format!("saker-asn-{}.mmdb", std::process::id()));
    let db = mmdb::build(&[(
        "81.2.69.0",
        24,
        mmdb::Asn {
            number: 20712,
            org: "Andrews & Arnold Ltd (a long organisation name)",
        },
    )]);
    std::fs::write(&path, db).expect("write database");
    let opts = Options {
        asn: Some(path),
        ..Options::default()
    };
    let input: &[&[(&str, &str)]] = &[&[("ip", "81.2.69.160")], &[("ip", "10.0.0.1")]];
    let out = run("asn()", &opts, input);
    assert_eq!(
        out,
        vec![
            pairs(&[
                ("ip", "81.2.69.160"),
                ("ip.asn", "20712"),
                ("ip.org", "Andrews & Arnold Ltd (a long organisation name)"),
            ]),
            pairs(&[("ip", "10.0.0.1")]),
        ]
    );
    let out = run("asn(field=ip, as=src)", &opts, &input[..1]);
    assert_eq!(
        out[0].iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        vec!["ip", "src.asn", "src.org"]
    );
    let plan = saker_cql::compile("asn()", &Default::default()).expect("parses");
    assert!(Query::compile(&plan, &Options::default()).is_err());
}
