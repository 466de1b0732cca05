//! A minimal MaxMind DB writer for tests: IPv6 tree (IPv4 mapped under ::/96), 24-bit records,
//! City-shaped records (country ISO code, English city and subdivision names, coordinates) or
//! ASN-shaped ones (number, organisation).
//! Format: <https://maxmind.github.io/MaxMind-DB/>.

#![allow(dead_code)]

use std::net::IpAddr;

pub struct City {
    pub country: &'static str,
    pub city: &'static str,
    pub state: Option<&'static str>,
    pub lat: f64,
    pub lon: f64,
}

pub struct Asn {
    pub number: u32,
    pub org: &'static str,
}

/// A record the writer can encode.
pub trait Record {
    fn encode(&self, out: &mut Vec<u8>);
}

impl Record for City {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_city(self, out);
    }
}

impl Record for Asn {
    fn encode(&self, out: &mut Vec<u8>) {
        map_header(2, out);
        string("autonomous_system_number", out);
        uint(6, u64::from(self.number), out);
        string("autonomous_system_organization", out);
        string(self.org, out);
    }
}

enum Node {
    Empty,
    Data(usize),
    Branch(Box<Node>, Box<Node>),
}

/// Builds a database mapping each `(network, prefix length)` to its record.
pub fn build<R: Record>(entries: &[(&str, u8, R)]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut root = Node::Empty;
    for (net, len, record) in entries {
        let offset = data.len();
        record.encode(&mut data);
        let (bits, len) = match net.parse::<IpAddr>().expect("network address") {
            IpAddr::V4(v4) => {
                let mut b = [0u8; 16];
                b[12..].copy_from_slice(&v4.octets());
                (b, 96 + *len as usize)
            }
            IpAddr::V6(v6) => (v6.octets(), *len as usize),
        };
        insert(&mut root, &bits, 0, len, offset);
    }
    // Number the nodes breadth-first; node 0 is the root.
    let mut nodes: Vec<&Node> = vec![&root];
    let mut i = 0;
    while i < nodes.len() {
        if let Node::Branch(l, r) = nodes[i] {
            for c in [l, r] {
                if matches!(**c, Node::Branch(..)) {
                    nodes.push(c);
                }
            }
        }
        i += 1;
    }
    let count = nodes.len();
    let mut next_id = 1;
    let mut tree = Vec::new();
    for n in &nodes {
        let Node::Branch(l, r) = n else {
            // An empty database: a root whose both records say "no data".
            push24(&mut tree, count);
            push24(&mut tree, count);
            continue;
        };
        for c in [l, r] {
            let rec = match &**c {
                Node::Empty => count,
                Node::Data(off) => count + 16 + off,
                Node::Branch(..) => {
                    let id = next_id;
                    next_id += 1;
                    id
                }
            };
            push24(&mut tree, rec);
        }
    }
    let mut out = tree;
    out.extend_from_slice(&[0u8; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    let mut meta = Vec::new();
    map_header(9, &mut meta);
    string("binary_format_major_version", &mut meta);
    uint(5, 2, &mut meta);
    string("binary_format_minor_version", &mut meta);
    uint(5, 0, &mut meta);
    string("build_epoch", &mut meta);
    uint64(1_700_000_000, &mut meta);
    string("database_type", &mut meta);
    string("Saker-Test-City", &mut meta);
    string("description", &mut meta);
    map_header(1, &mut meta);
    string("en", &mut meta);
    string("test database", &mut meta);
    string("ip_version", &mut meta);
    uint(5, 6, &mut meta);
    string("languages", &mut meta);
    meta.push(1);
    meta.push(4); // array of 1
    string("en", &mut meta);
    string("node_count", &mut meta);
    uint(6, count as u64, &mut meta);
    string("record_size", &mut meta);
    uint(5, 24, &mut meta);
    out.extend_from_slice(&meta);
    out
}

fn insert(node: &mut Node, bits: &[u8; 16], depth: usize, len: usize, offset: usize) {
    if depth == len {
        *node = Node::Data(offset);
        return;
    }
    if !matches!(node, Node::Branch(..)) {
        *node = Node::Branch(Box::new(Node::Empty), Box::new(Node::Empty));
    }
    let Node::Branch(l, r) = node else { return };
    let bit = bits[depth / 8] >> (7 - depth % 8) & 1;
    insert(if bit == 0 { l } else { r }, bits, depth + 1, len, offset);
}

fn push24(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&(v as u32).to_be_bytes()[1..]);
}

fn map_header(n: u8, out: &mut Vec<u8>) {
    out.push(0xE0 | n);
}

fn string(s: &str, out: &mut Vec<u8>) {
    assert!(s.len() < 29 + 256);
    if s.len() < 29 {
        out.push(0x40 | s.len() as u8);
    } else {
        out.push(0x40 | 29);
        out.push((s.len() - 29) as u8);
    }
    out.extend_from_slice(s.as_bytes());
}

/// uint16 (type 5) or uint32 (type 6), minimal big-endian bytes.
fn uint(ty: u8, v: u64, out: &mut Vec<u8>) {
    let bytes: Vec<u8> = v
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    out.push(ty << 5 | bytes.len() as u8);
    out.extend_from_slice(&bytes);
}

fn uint64(v: u64, out: &mut Vec<u8>) {
    let bytes: Vec<u8> = v
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    out.push(bytes.len() as u8);
    out.push(2); // extended type 9 = 7 + 2
    out.extend_from_slice(&bytes);
}

fn double(v: f64, out: &mut Vec<u8>) {
    out.push(0x68);
    out.extend_from_slice(&v.to_be_bytes());
}

fn names(en: &str, out: &mut Vec<u8>) {
    map_header(1, out);
    string("names", out);
    map_header(1, out);
    string("en", out);
    string(en, out);
}

fn encode_city(c: &City, out: &mut Vec<u8>) {
    map_header(if c.state.is_some() { 4 } else { 3 }, out);
    string("city", out);
    names(c.city, out);
    string("country", out);
    map_header(1, out);
    string("iso_code", out);
    string(c.country, out);
    string("location", out);
    map_header(2, out);
    string("latitude", out);
    double(c.lat, out);
    string("longitude", out);
    double(c.lon, out);
    if let Some(s) = c.state {
        string("subdivisions", out);
        out.push(1);
        out.push(4); // array of 1
        names(s, out);
    }
}
