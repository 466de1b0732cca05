//! Events kept for hits until the time-sorted output: every field in two allocations.
//!
//! A hit's event waits until the whole run is read (output is sorted by time), so a run with
//! many hits holds many events. An [`Event`] spends a slot of 32 bytes per field plus a heap
//! allocation for each value longer than its inline capacity; packed, a field costs its name id,
//! an offset and its value's bytes.

use saker_event::{Event, Sym};

/// The fields of an event (without `@rawstring`), in event order.
#[derive(Debug)]
pub struct PackedEvent {
    /// Per field: its name and the end of its value in `text`.
    names: Box<[(Sym, u32)]>,
    text: Box<str>,
}

impl PackedEvent {
    /// Packs `event`'s fields except `@rawstring`.
    pub fn pack(event: &Event) -> PackedEvent {
        let raw = Sym::rawstring();
        let kept = || event.iter().filter(|(k, _)| *k != raw);
        let len: usize = kept().map(|(_, v)| v.len()).sum();
        let mut text = String::with_capacity(len);
        let mut names = Vec::with_capacity(event.len());
        for (k, v) in kept() {
            text.push_str(v);
            // Values of one event are far below 4 GiB (a line or record is read whole).
            names.push((k, u32::try_from(text.len()).unwrap_or(u32::MAX)));
        }
        PackedEvent {
            names: names.into_boxed_slice(),
            text: text.into_boxed_str(),
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The fields, in event order.
    pub fn iter(&self) -> impl Iterator<Item = (Sym, &str)> + '_ {
        let mut start = 0usize;
        self.names.iter().map(move |&(k, end)| {
            let end = (end as usize).min(self.text.len());
            let v = self.text.get(start..end).unwrap_or("");
            start = end;
            (k, v)
        })
    }

    pub fn get(&self, field: Sym) -> Option<&str> {
        self.iter().find(|(k, _)| *k == field).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_every_field_but_the_raw_string_in_order() {
        let mut e: Event = [
            ("Image", "C:\\Windows\\System32\\cmd.exe"),
            ("Empty", ""),
            ("CommandLine", "cmd /c \u{e9}t\u{e9}"),
        ]
        .into_iter()
        .collect();
        e.set(Sym::rawstring(), "{\"raw\":1}");
        let p = PackedEvent::pack(&e);
        let fields: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(
            fields,
            vec![
                ("Image", "C:\\Windows\\System32\\cmd.exe"),
                ("Empty", ""),
                ("CommandLine", "cmd /c \u{e9}t\u{e9}"),
            ]
        );
        assert_eq!(p.len(), 3);
        assert_eq!(p.get(Sym::new("Empty")), Some(""));
        assert_eq!(p.get(Sym::rawstring()), None);
    }
}
