//! `geohash(lat=ip.lat, lon=ip.lon, precision=12, as=_geohash)`: the base-32 geohash of a point
//! given in decimal degrees (<https://library.humio.com/data-analysis/functions-geohash.html>).

use saker_event::{Sym, parse_number};

use crate::args::Args;
use crate::compile::Compiler;
use crate::error::Result;
use crate::pipeline::StageSpec;

pub(super) fn stage(_c: &Compiler, a: &Args, name: &str) -> Result<Option<StageSpec>> {
    if name != "geohash" {
        return Ok(None);
    }
    let lat = Sym::new(&a.text_or("lat", "ip.lat"));
    let lon = Sym::new(&a.text_or("lon", "ip.lon"));
    let precision = a.limit_or("precision", 12, 12)?.max(1);
    let out = super::out_field(a, "_geohash");
    Ok(Some(super::map(move |e| {
        let point = e
            .get(lat)
            .and_then(parse_number)
            .zip(e.get(lon).and_then(parse_number));
        if let Some(h) = point.and_then(|(la, lo)| encode(la, lo, precision)) {
            e.set(out, h);
        }
    })))
}

const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// Bits alternate longitude, latitude, … halving each range; five bits make one character.
fn encode(lat: f64, lon: f64, precision: usize) -> Option<String> {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    let (mut lat_range, mut lon_range) = ((-90.0, 90.0), (-180.0, 180.0));
    let mut out = String::with_capacity(precision);
    let (mut bits, mut ch, mut even) = (0, 0usize, true);
    while out.len() < precision {
        let (range, v): (&mut (f64, f64), f64) = if even {
            (&mut lon_range, lon)
        } else {
            (&mut lat_range, lat)
        };
        let mid = (range.0 + range.1) / 2.0;
        ch <<= 1;
        // Strictly above the midpoint: Greenwich (longitude 0.0) is `gcpu…`, west of the split.
        if v > mid {
            ch |= 1;
            range.0 = mid;
        } else {
            range.1 = mid;
        }
        even = !even;
        bits += 1;
        if bits == 5 {
            out.push(BASE32[ch] as char);
            bits = 0;
            ch = 0;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn documented_points() {
        // Greenwich, from the function page.
        assert_eq!(encode(51.477928, 0.0, 12).as_deref(), Some("gcpuzgrbxvrc"));
        assert_eq!(encode(42.6, -5.6, 5).as_deref(), Some("ezs42"));
        assert_eq!(encode(91.0, 0.0, 5), None);
    }
}
