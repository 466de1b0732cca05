//! `ipLocation(field=ip, as=<field>)`: country, city and coordinates of an IP address from a
//! MaxMind DB (GeoLite2/GeoIP2 City) given with [`crate::Options::geoip`].
//! <https://library.humio.com/data-analysis/functions-iplocation.html>
//!
//! Output fields, prefixed by `as` (default: the `field` name): `.country` (ISO 3166 code),
//! `.city` (English name), `.state` (first subdivision, English name), `.lat`, `.lon`. A field the
//! database has no value for is not set; an address it does not know, or a value that is not an
//! address, leaves the event unchanged. Without a database the query fails to compile, before any
//! input is read.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use maxminddb::{PathElement, Reader};
use saker_event::{Event, Sym, format_number};

use super::map;
use crate::args::Args;
use crate::compile::Compiler;
use crate::error::{ExecError, Result};
use crate::pipeline::StageSpec;

pub(super) fn stage(c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    match name {
        "iplocation" => ip_location(c, a).map(Some),
        "asn" => asn(c, a).map(Some),
        _ => Ok(None),
    }
}

/// `asn(field=ip, as=field)`: `<as>.asn` and `<as>.org` from a MaxMind ASN database
/// (<https://library.humio.com/data-analysis/functions-asn.html>) given with
/// [`crate::Options::asn`].
fn asn(c: &Compiler, a: &Args) -> Result<StageSpec> {
    let Some(path) = &c.opts.asn else {
        return Err(ExecError::Invalid(
            "asn() needs a MaxMind ASN database (GeoLite2-ASN.mmdb): pass it with --asn FILE.mmdb"
                .into(),
        ));
    };
    let db = open(path, "asn(): cannot read ASN database")?;
    let field_name = a.text("field").unwrap_or_else(|| "ip".to_owned());
    let field = Sym::new(&field_name);
    let prefix = a.text("as").unwrap_or(field_name);
    let (number, org) = (
        Sym::new(&format!("{prefix}.asn")),
        Sym::new(&format!("{prefix}.org")),
    );
    Ok(map(move |e| {
        let Some(ip) = e.get(field).and_then(|v| v.trim().parse::<IpAddr>().ok()) else {
            return;
        };
        let Ok(found) = db.lookup(ip) else { return };
        if !found.has_data() {
            return;
        }
        let key = |k| [PathElement::Key(k)];
        // uint32 in MaxMind's ASN databases.
        if let Ok(Some(n)) = found.decode_path::<u32>(&key("autonomous_system_number")) {
            e.set(number, n.to_string());
        }
        if let Ok(Some(o)) = found.decode_path::<String>(&key("autonomous_system_organization")) {
            e.set(org, o);
        }
    }))
}

fn ip_location(c: &Compiler, a: &Args) -> Result<StageSpec> {
    let Some(path) = &c.opts.geoip else {
        return Err(ExecError::Invalid(
            "ipLocation() needs a MaxMind City database (GeoLite2-City.mmdb or GeoIP2-City.mmdb): \
             pass it with --geoip FILE.mmdb"
                .into(),
        ));
    };
    let db = open(path, "ipLocation(): cannot read GeoIP database")?;
    let field_name = a.text("field").unwrap_or_else(|| "ip".to_owned());
    let field = Sym::new(&field_name);
    let prefix = a.text("as").unwrap_or(field_name);
    let out = Outputs {
        country: Sym::new(&format!("{prefix}.country")),
        city: Sym::new(&format!("{prefix}.city")),
        state: Sym::new(&format!("{prefix}.state")),
        lat: Sym::new(&format!("{prefix}.lat")),
        lon: Sym::new(&format!("{prefix}.lon")),
    };
    Ok(map(move |e| {
        let Some(ip) = e.get(field).and_then(|v| v.trim().parse::<IpAddr>().ok()) else {
            return;
        };
        locate(&db, ip, &out, e);
    }))
}

struct Outputs {
    country: Sym,
    city: Sym,
    state: Sym,
    lat: Sym,
    lon: Sym,
}

fn locate(db: &Reader<Vec<u8>>, ip: IpAddr, out: &Outputs, e: &mut Event) {
    let Ok(found) = db.lookup(ip) else { return };
    if !found.has_data() {
        return;
    }
    use PathElement::{Index, Key};
    let text = |path: &[PathElement]| found.decode_path::<String>(path).ok().flatten();
    let num = |path: &[PathElement]| found.decode_path::<f64>(path).ok().flatten();
    if let Some(v) = text(&[Key("country"), Key("iso_code")]) {
        e.set(out.country, v);
    }
    if let Some(v) = text(&[Key("city"), Key("names"), Key("en")]) {
        e.set(out.city, v);
    }
    if let Some(v) = text(&[Key("subdivisions"), Index(0), Key("names"), Key("en")]) {
        e.set(out.state, v);
    }
    if let Some(v) = num(&[Key("location"), Key("latitude")]) {
        e.set(out.lat, format_number(v));
    }
    if let Some(v) = num(&[Key("location"), Key("longitude")]) {
        e.set(out.lon, format_number(v));
    }
}

/// Databases are read once per process and shared by every call that names them.
type Db = Arc<Reader<Vec<u8>>>;

/// `failure` starts the error message when the file cannot be read.
fn open(path: &Path, failure: &str) -> Result<Db> {
    static OPEN: OnceLock<Mutex<HashMap<std::path::PathBuf, Db>>> = OnceLock::new();
    let cache = OPEN.get_or_init(Default::default);
    if let Some(db) = cache.lock().ok().and_then(|c| c.get(path).cloned()) {
        return Ok(db);
    }
    let db = Reader::open_readfile(path)
        .map_err(|e| ExecError::Invalid(format!("{failure} {}: {e}", path.display())))?;
    let db = Arc::new(db);
    if let Ok(mut c) = cache.lock() {
        c.insert(path.to_owned(), db.clone());
    }
    Ok(db)
}
