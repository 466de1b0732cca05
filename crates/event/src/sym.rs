use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

/// An interned field name. Cheap to copy and compare; [`Sym::as_str`] gives the name back.
///
/// The table lives for the whole process (field names of one run are few), so names are
/// `&'static str` and a `Sym` can be sent to any thread.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(u32);

#[derive(Default)]
struct Table {
    ids: HashMap<&'static str, u32>,
    names: Vec<&'static str>,
}

fn table() -> &'static RwLock<Table> {
    static TABLE: OnceLock<RwLock<Table>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table::default();
        // Fixed ids for the metadata fields so hot paths need no lookup.
        for name in [
            crate::names::RAWSTRING,
            crate::names::TIMESTAMP,
            crate::names::TIMEZONE,
        ] {
            let id = t.names.len() as u32;
            t.names.push(name);
            t.ids.insert(name, id);
        }
        RwLock::new(t)
    })
}

impl Sym {
    /// Interns `name`.
    pub fn new(name: &str) -> Sym {
        if let Some(s) = Sym::lookup(name) {
            return s;
        }
        let mut t = table().write().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = t.ids.get(name) {
            return Sym(id);
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let id = t.names.len() as u32;
        t.names.push(leaked);
        t.ids.insert(leaked, id);
        Sym(id)
    }

    /// The symbol of `name` if it was ever interned (a name never interned is on no event).
    pub fn lookup(name: &str) -> Option<Sym> {
        let t = table().read().unwrap_or_else(|e| e.into_inner());
        t.ids.get(name).map(|&id| Sym(id))
    }

    pub fn as_str(self) -> &'static str {
        let t = table().read().unwrap_or_else(|e| e.into_inner());
        t.names[self.0 as usize]
    }

    #[inline]
    pub fn rawstring() -> Sym {
        table();
        Sym(0)
    }

    #[inline]
    pub fn timestamp() -> Sym {
        table();
        Sym(1)
    }

    #[inline]
    pub fn timezone() -> Sym {
        table();
        Sym(2)
    }

    pub fn is_tag(self) -> bool {
        self.as_str().starts_with('#')
    }

    pub fn is_metadata(self) -> bool {
        self.as_str().starts_with('@')
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable() {
        let a = Sym::new("ComputerName");
        assert_eq!(a, Sym::new("ComputerName"));
        assert_ne!(
            a,
            Sym::new("computername"),
            "field names are case-sensitive"
        );
        assert_eq!(a.as_str(), "ComputerName");
        assert_eq!(Sym::new("@rawstring"), Sym::rawstring());
        assert_eq!(Sym::new("@timestamp"), Sym::timestamp());
        assert!(Sym::new("#event_simpleName").is_tag());
    }
}
