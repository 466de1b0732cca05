use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

thread_local! {
    /// Per-thread copy of the id → name table. Ids only grow and names are never freed, so a
    /// thread refreshes its copy from the shared table only when it meets an id it has not seen;
    /// steady-state lookups take no lock.
    static NAMES: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    /// Per-thread name → id cache for [`Sym::new`] on hot decode paths.
    static IDS: RefCell<HashMap<&'static str, Sym>> = RefCell::new(HashMap::new());
}

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
        if let Some(s) = IDS.with(|ids| ids.borrow().get(name).copied()) {
            return s;
        }
        let sym = Sym::intern_shared(name);
        IDS.with(|ids| ids.borrow_mut().insert(sym.as_str(), sym));
        sym
    }

    fn intern_shared(name: &str) -> Sym {
        if let Some(s) = Sym::lookup_shared(name) {
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
        if let Some(s) = IDS.with(|ids| ids.borrow().get(name).copied()) {
            return Some(s);
        }
        Sym::lookup_shared(name)
    }

    fn lookup_shared(name: &str) -> Option<Sym> {
        let t = table().read().unwrap_or_else(|e| e.into_inner());
        t.ids.get(name).map(|&id| Sym(id))
    }

    pub fn as_str(self) -> &'static str {
        let i = self.0 as usize;
        NAMES.with(|names| {
            if let Some(&name) = names.borrow().get(i) {
                return name;
            }
            let t = table().read().unwrap_or_else(|e| e.into_inner());
            let mut local = names.borrow_mut();
            let have = local.len();
            local.extend_from_slice(&t.names[have..]);
            // A Sym is only made by interning, so its id is always in the shared table.
            local.get(i).copied().unwrap_or("")
        })
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

    /// The dense id of this name (0, 1, 2, … in interning order), for per-run tables indexed by field.
    pub fn index(self) -> u32 {
        self.0
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

#[cfg(test)]
mod thread_tests {
    use super::*;

    #[test]
    fn names_interned_on_other_threads_resolve() {
        let s = std::thread::spawn(|| Sym::new("made_on_another_thread"))
            .join()
            .unwrap();
        assert_eq!(s.as_str(), "made_on_another_thread");
        assert_eq!(Sym::lookup("made_on_another_thread"), Some(s));
    }
}
