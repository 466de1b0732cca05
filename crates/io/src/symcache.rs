//! A per-thread front for the global field-name interner, plus duplicate detection per event.
//!
//! `Sym::new` takes a process-wide lock; decoding threads look names up here first. Each cached
//! name also gets a dense per-thread slot, so an [`EventBuilder`] can tell in O(1) whether a name
//! was already set on the event it is building (JSON may repeat a key, and flattened names can
//! collide: `{"a.b":1,"a":{"b":2}}`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use std::sync::Arc;

use saker_event::{Event, Sym, Text};

use crate::fields::FieldSet;

/// FxHash: field names are short and not attacker-chosen in a way that matters for a local tool.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
        self.0 = h;
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

#[derive(Default)]
struct SymCache {
    slots: HashMap<Box<str>, (Sym, u32), FxBuild>,
    /// Per slot: the generation that last set it on an event, and whether it was fixed.
    stamps: Vec<(u32, bool)>,
    generation: u32,
}

thread_local! {
    static CACHE: RefCell<SymCache> = RefCell::new(SymCache::default());
}

/// Builds one event: interns names through the per-thread cache and keeps each name once.
///
/// Fields pushed with [`EventBuilder::push_fixed`] win over later pushes of the same name (derived
/// metadata such as `@timestamp` goes first and is not overwritten by a raw input field); among
/// ordinary pushes the last value wins, as in JSON.
/// With a projection ([`EventBuilder::set_fields`]), names outside it are dropped before they are
/// interned or copied.
pub(crate) struct EventBuilder {
    event: Event,
    cache: SymCache,
    fields: Option<Arc<FieldSet>>,
}

impl EventBuilder {
    /// Takes the thread's cache for the duration of a decode; give it back with [`Self::release`].
    pub(crate) fn acquire() -> Self {
        let cache = CACHE.with(|c| std::mem::take(&mut *c.borrow_mut()));
        EventBuilder {
            event: Event::new(),
            cache,
            fields: None,
        }
    }

    /// Keeps only `fields` on the events built from now on (`None`: every field).
    pub(crate) fn set_fields(&mut self, fields: Option<Arc<FieldSet>>) {
        self.fields = fields;
    }

    /// The number of names in the projection, if any.
    pub(crate) fn fields_len(&self) -> Option<usize> {
        self.fields.as_ref().map(|f| f.len())
    }

    /// Whether a field of this name is kept (see [`Self::set_fields`]).
    #[inline]
    pub(crate) fn wants(&self, name: &str) -> bool {
        self.fields.as_ref().is_none_or(|f| f.contains(name))
    }

    pub(crate) fn release(self) {
        let cache = self.cache;
        CACHE.with(|c| *c.borrow_mut() = cache);
    }

    /// Starts a new event (the previous one must have been taken with [`Self::finish`]).
    pub(crate) fn begin(&mut self, capacity: usize) {
        self.event = Event::with_capacity(capacity);
        let c = &mut self.cache;
        c.generation = c.generation.wrapping_add(1);
        if c.generation == 0 {
            c.stamps.iter_mut().for_each(|s| *s = (0, false));
            c.generation = 1;
        }
    }

    pub(crate) fn finish(&mut self) -> Event {
        std::mem::take(&mut self.event)
    }

    #[inline]
    fn slot(&mut self, name: &str) -> (Sym, usize) {
        if let Some(&(sym, slot)) = self.cache.slots.get(name) {
            return (sym, slot as usize);
        }
        let sym = Sym::new(name);
        let slot = self.cache.stamps.len();
        self.cache.stamps.push((0, false));
        self.cache
            .slots
            .insert(name.to_owned().into_boxed_str(), (sym, slot as u32));
        (sym, slot)
    }

    /// Sets `name`; a repeated name overwrites (in place) unless it was fixed.
    #[inline]
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        if !self.wants(name) {
            return;
        }
        let (sym, slot) = self.slot(name);
        let gen_now = self.cache.generation;
        let stamp = &mut self.cache.stamps[slot];
        if stamp.0 != gen_now {
            *stamp = (gen_now, false);
            self.event.push_unchecked(sym, Text::from(value));
        } else if !stamp.1 {
            self.event.set(sym, value);
        }
    }

    /// [`Self::push`] with an owned value (no copy when it is new).
    #[inline]
    pub(crate) fn push_text(&mut self, name: &str, value: Text) {
        if !self.wants(name) {
            return;
        }
        let (sym, slot) = self.slot(name);
        let gen_now = self.cache.generation;
        let stamp = &mut self.cache.stamps[slot];
        if stamp.0 != gen_now {
            *stamp = (gen_now, false);
            self.event.push_unchecked(sym, value);
        } else if !stamp.1 {
            self.event.set(sym, value);
        }
    }

    /// Sets `name` so that later pushes of the same name on this event are ignored.
    pub(crate) fn push_fixed(&mut self, name: &str, value: &str) {
        if !self.wants(name) {
            return;
        }
        let (sym, slot) = self.slot(name);
        let gen_now = self.cache.generation;
        let stamp = &mut self.cache.stamps[slot];
        let seen = stamp.0 == gen_now;
        *stamp = (gen_now, true);
        if seen {
            self.event.set(sym, value);
        } else {
            self.event.push_unchecked(sym, Text::from(value));
        }
    }

    /// Whether `name` is already set on the event being built.
    pub(crate) fn has(&mut self, name: &str) -> bool {
        let (_, slot) = self.slot(name);
        self.cache.stamps[slot].0 == self.cache.generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_keep_last_value_and_first_position() {
        let mut b = EventBuilder::acquire();
        b.begin(4);
        b.push("a", "1");
        b.push("b", "2");
        b.push("a", "3");
        let e = b.finish();
        b.release();
        let pairs: Vec<_> = e.iter().map(|(k, v)| (k.as_str(), v.to_owned())).collect();
        assert_eq!(pairs, vec![("a", "3".to_owned()), ("b", "2".to_owned())]);
    }

    #[test]
    fn fixed_fields_are_not_overwritten_and_events_are_independent() {
        let mut b = EventBuilder::acquire();
        b.begin(4);
        b.push_fixed("@timestamp", "1000");
        b.push("@timestamp", "2024-01-01");
        let e = b.finish();
        assert_eq!(e.get_by_name("@timestamp"), Some("1000"));
        b.begin(4);
        b.push("@timestamp", "x");
        let e2 = b.finish();
        b.release();
        assert_eq!(e2.get_by_name("@timestamp"), Some("x"));
        assert_eq!(e2.len(), 1);
    }
}
