//! [`Matcher`]s compiled into value tests.

use std::collections::HashSet;
use std::net::IpAddr;

use ipnet::IpNet;
use saker_plan::{CmpOp, Matcher};

use crate::error::{ExecError, Result};
use crate::regex::CompiledRegex;
use crate::text::{Glob, TextTest, fold};

/// A compiled [`Matcher`]: tests one field value (or the field's absence).
#[derive(Clone, Debug)]
pub enum CompiledMatcher {
    Exists,
    Absent,
    Text(TextTest),
    Regex(CompiledRegex),
    Compare(CmpOp, f64),
    Cidr(Cidr),
    AnyOf(AnyOf),
}

impl CompiledMatcher {
    pub fn compile(m: &Matcher) -> Result<Self> {
        Ok(match m {
            Matcher::Exists => CompiledMatcher::Exists,
            Matcher::Absent => CompiledMatcher::Absent,
            Matcher::Equals {
                value,
                case_insensitive,
            } => CompiledMatcher::Text(TextTest::equals(value, *case_insensitive)),
            Matcher::Glob {
                pattern,
                case_insensitive,
            } => {
                if pattern.chars().all(|c| c == '*') && !pattern.is_empty() {
                    CompiledMatcher::Exists
                } else {
                    CompiledMatcher::Text(TextTest::glob(pattern, *case_insensitive))
                }
            }
            Matcher::Contains {
                value,
                case_insensitive,
            } => CompiledMatcher::Text(TextTest::contains(value, *case_insensitive)),
            Matcher::StartsWith {
                value,
                case_insensitive,
            } => CompiledMatcher::Text(TextTest::starts_with(value, *case_insensitive)),
            Matcher::EndsWith {
                value,
                case_insensitive,
            } => CompiledMatcher::Text(TextTest::ends_with(value, *case_insensitive)),
            Matcher::Regex {
                pattern,
                flags,
                dialect,
            } => CompiledMatcher::Regex(CompiledRegex::new(pattern, flags, *dialect)?),
            Matcher::Compare { op, value } => CompiledMatcher::Compare(*op, *value),
            Matcher::Cidr { subnets } => CompiledMatcher::Cidr(Cidr::new(subnets)?),
            Matcher::AnyOf {
                values,
                glob,
                case_insensitive,
            } => CompiledMatcher::AnyOf(AnyOf::new(values, *glob, *case_insensitive)),
        })
    }

    /// Tests a present value.
    pub fn test_value(&self, v: &str) -> bool {
        match self {
            CompiledMatcher::Exists => true,
            CompiledMatcher::Absent => false,
            CompiledMatcher::Text(t) => t.is_match(v),
            CompiledMatcher::Regex(re) => re.is_match(v),
            CompiledMatcher::Compare(op, x) => {
                saker_event::parse_number(v).is_some_and(|n| compare(*op, n, *x))
            }
            CompiledMatcher::Cidr(c) => c.contains(v),
            CompiledMatcher::AnyOf(a) => a.is_match(v),
        }
    }

    /// Tests a field that may be absent: only [`Matcher::Absent`] holds on an absent field.
    pub fn test(&self, v: Option<&str>) -> bool {
        match v {
            Some(v) => self.test_value(v),
            None => matches!(self, CompiledMatcher::Absent),
        }
    }
}

pub(crate) fn compare(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
    }
}

/// IPv4/IPv6 subnets; a bare address is a one-address subnet.
#[derive(Clone, Debug)]
pub struct Cidr {
    nets: Vec<IpNet>,
}

impl Cidr {
    pub fn new(subnets: &[String]) -> Result<Self> {
        let nets = subnets
            .iter()
            .map(|s| {
                parse_subnet(s).ok_or_else(|| ExecError::Invalid(format!("invalid subnet `{s}`")))
            })
            .collect::<Result<_>>()?;
        Ok(Cidr { nets })
    }

    pub fn contains(&self, value: &str) -> bool {
        match value.trim().parse::<IpAddr>() {
            Ok(ip) => self.nets.iter().any(|n| n.contains(&ip)),
            Err(_) => false,
        }
    }

    /// The prefix length of the most specific subnet containing `value` (for `match(mode=cidr)`).
    pub fn best_prefix(net: &str, value: &str) -> Option<u8> {
        let net = parse_subnet(net)?;
        let ip = value.trim().parse::<IpAddr>().ok()?;
        net.contains(&ip).then(|| net.prefix_len())
    }
}

pub(crate) fn parse_subnet(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Equal to one of several values (each an anchored glob when asked), as `in()` tests.
#[derive(Clone, Debug)]
pub struct AnyOf {
    exact: HashSet<String>,
    globs: Vec<Glob>,
    ci: bool,
}

impl AnyOf {
    pub fn new(values: &[String], glob: bool, ci: bool) -> Self {
        let mut exact = HashSet::new();
        let mut globs = Vec::new();
        for v in values {
            if glob && v.contains('*') {
                globs.push(Glob::new(v, ci));
            } else if ci {
                exact.insert(v.to_lowercase());
            } else {
                exact.insert(v.clone());
            }
        }
        AnyOf { exact, globs, ci }
    }

    pub fn is_match(&self, v: &str) -> bool {
        let hit = if self.ci {
            self.exact.contains(fold(v).as_ref())
        } else {
            self.exact.contains(v)
        };
        hit || self.globs.iter().any(|g| g.is_match(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(m: Matcher) -> CompiledMatcher {
        CompiledMatcher::compile(&m).unwrap()
    }

    #[test]
    fn absent_fields() {
        let eq = m(Matcher::Equals {
            value: "x".into(),
            case_insensitive: false,
        });
        assert!(!eq.test(None));
        assert!(!m(Matcher::Exists).test(None));
        assert!(m(Matcher::Absent).test(None));
        assert!(!m(Matcher::Absent).test(Some("")));
        assert!(m(Matcher::Exists).test(Some("")));
        let star = m(Matcher::Glob {
            pattern: "*".into(),
            case_insensitive: false,
        });
        assert!(star.test(Some("")) && !star.test(None));
    }

    #[test]
    fn numeric_compare_needs_a_number() {
        let lt = m(Matcher::Compare {
            op: CmpOp::Lt,
            value: 400.0,
        });
        assert!(lt.test(Some("200")));
        assert!(lt.test(Some(" 3.5e2 ")));
        assert!(!lt.test(Some("abc")));
        assert!(!lt.test(Some("500")));
        assert!(!lt.test(None));
    }

    #[test]
    fn cidr_v4_v6_and_bare_addresses() {
        let c = m(Matcher::Cidr {
            subnets: vec![
                "10.0.0.0/8".into(),
                "2001:db8::/32".into(),
                "192.168.1.1".into(),
            ],
        });
        assert!(c.test(Some("10.1.2.3")));
        assert!(!c.test(Some("11.1.2.3")));
        assert!(c.test(Some("2001:db8::1")));
        assert!(!c.test(Some("2001:db9::1")));
        assert!(c.test(Some("192.168.1.1")));
        assert!(!c.test(Some("192.168.1.2")));
        assert!(!c.test(Some("not an ip")));
        assert!(
            CompiledMatcher::compile(&Matcher::Cidr {
                subnets: vec!["10.0.0.0/99".into()]
            })
            .is_err()
        );
        assert_eq!(Cidr::best_prefix("10.0.0.0/8", "10.1.1.1"), Some(8));
    }

    #[test]
    fn any_of_with_globs_and_case() {
        // https://library.humio.com/data-analysis/functions-in.html: values are anchored globs
        let a = m(Matcher::AnyOf {
            values: vec!["1*".into(), "200".into()],
            glob: true,
            case_insensitive: false,
        });
        assert!(a.test(Some("100")));
        assert!(a.test(Some("200")));
        assert!(!a.test(Some("2001")));
        assert!(!a.test(Some("x1")));
        let ci = m(Matcher::AnyOf {
            values: vec!["Admin".into()],
            glob: true,
            case_insensitive: true,
        });
        assert!(ci.test(Some("ADMIN")));
        let literal = m(Matcher::AnyOf {
            values: vec!["a*".into()],
            glob: false,
            case_insensitive: false,
        });
        assert!(literal.test(Some("a*")) && !literal.test(Some("ab")));
    }
}
