//! ASCII case-insensitive substring search by a pair of rare bytes.
//!
//! The regex crate searches a case-insensitive literal with Teddy over case variants of its first
//! bytes, which slows down when those bytes are common in the haystack (`SOFTWARE\…` in every
//! registry event). This finder instead compares two bytes of the needle chosen for rarity, at
//! their offsets, sixteen haystack positions at a time (letters folded with `| 0x20`, which maps
//! both cases of a letter to its lower case and may only add candidates), and verifies each
//! candidate in full.

/// Finds `needle` in a haystack, ignoring ASCII case.
#[derive(Clone, Debug)]
pub struct CiFinder {
    needle: Vec<u8>,
    first: Probe,
    second: Probe,
}

/// One byte of the needle tested at its offset: `fold` when it is a letter.
#[derive(Clone, Copy, Debug)]
struct Probe {
    offset: usize,
    byte: u8,
    fold: bool,
}

impl Probe {
    fn at(needle: &[u8], offset: usize) -> Probe {
        let b = needle[offset];
        Probe {
            offset,
            byte: b.to_ascii_lowercase(),
            fold: b.is_ascii_alphabetic(),
        }
    }

    fn matches(&self, b: u8) -> bool {
        let b = if self.fold { b | 0x20 } else { b };
        b == self.byte
    }
}

/// How rare a byte is believed to be in text and JSON (higher: rarer); letters by English
/// frequency, JSON punctuation and digits as common.
fn rarity(b: u8) -> usize {
    const LETTERS_BY_FREQUENCY: &[u8] = b"etaoinshrdlucmfwygpbvkxqjz";
    let lower = b.to_ascii_lowercase();
    if let Some(i) = LETTERS_BY_FREQUENCY.iter().position(|&c| c == lower) {
        return 10 + i;
    }
    match b {
        b'\\' | b'"' | b':' | b',' | b' ' | b'.' | b'/' | b'_' | b'-' | b'0'..=b'9' => 0,
        _ => 20,
    }
}

impl CiFinder {
    /// `None` for needles shorter than two bytes or with non-ASCII bytes (folding is ASCII only).
    pub fn new(needle: &[u8]) -> Option<CiFinder> {
        if needle.len() < 2 || !needle.is_ascii() {
            return None;
        }
        let mut order: Vec<usize> = (0..needle.len()).collect();
        // Rarest first; ties keep the later offset (closer to the needle's distinctive end).
        order.sort_by_key(|&i| (std::cmp::Reverse(rarity(needle[i])), std::cmp::Reverse(i)));
        let first = Probe::at(needle, order[0]);
        let second = order[1..]
            .iter()
            .map(|&i| Probe::at(needle, i))
            .find(|p| p.byte != first.byte)
            .unwrap_or_else(|| Probe::at(needle, order[1]));
        Some(CiFinder {
            needle: needle.to_ascii_lowercase(),
            first,
            second,
        })
    }

    /// The start of the first occurrence of the needle in `hay`.
    pub fn find(&self, hay: &[u8]) -> Option<usize> {
        let n = self.needle.len();
        if hay.len() < n {
            return None;
        }
        let last = hay.len() - n;
        let mut start = 0;
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: SSE2 is part of the x86_64 baseline; `sse2::find` reads only within `hay`.
            if let Some(found) = unsafe { sse2::find(self, hay, &mut start) } {
                return Some(found);
            }
        }
        (start..=last).find(|&i| self.is_match_at(hay, i))
    }

    fn is_match_at(&self, hay: &[u8], i: usize) -> bool {
        self.first.matches(hay[i + self.first.offset])
            && self.second.matches(hay[i + self.second.offset])
            && hay[i..i + self.needle.len()].eq_ignore_ascii_case(&self.needle)
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    use super::{CiFinder, Probe};

    const LANES: usize = 16;

    /// Searches whole blocks of 16 start positions; leaves `start` at the first position it did
    /// not cover.
    ///
    /// # Safety
    /// Needs SSE2 (always present on x86_64).
    pub(super) unsafe fn find(f: &CiFinder, hay: &[u8], start: &mut usize) -> Option<usize> {
        let n = f.needle.len();
        let last = hay.len() - n;
        let (a, b) = (Vector::new(f.first), Vector::new(f.second));
        let mut i = 0;
        // Loads read `LANES` bytes from `i + offset`, offset < n: in bounds while i + LANES - 1
        // <= last.
        while i + LANES - 1 <= last {
            // SAFETY: both loads end at i + offset + LANES <= last + n = hay.len().
            let mask = unsafe {
                let x = a.test(hay.as_ptr().add(i + f.first.offset));
                let y = b.test(hay.as_ptr().add(i + f.second.offset));
                _mm_movemask_epi8(_mm_and_si128(x, y)) as u32
            };
            let mut bits = mask;
            while bits != 0 {
                let c = i + bits.trailing_zeros() as usize;
                if hay[c..c + n].eq_ignore_ascii_case(&f.needle) {
                    return Some(c);
                }
                bits &= bits - 1;
            }
            i += LANES;
        }
        *start = i;
        None
    }

    struct Vector {
        byte: __m128i,
        fold: __m128i,
    }

    impl Vector {
        fn new(p: Probe) -> Vector {
            // SAFETY: SSE2 intrinsics without memory access.
            unsafe {
                Vector {
                    byte: _mm_set1_epi8(p.byte as i8),
                    fold: _mm_set1_epi8(if p.fold { 0x20 } else { 0 }),
                }
            }
        }

        /// 0xFF in each lane whose byte (folded) equals the probe's.
        ///
        /// # Safety
        /// `at` must point to 16 readable bytes.
        unsafe fn test(&self, at: *const u8) -> __m128i {
            unsafe {
                let v = _mm_loadu_si128(at.cast::<__m128i>());
                _mm_cmpeq_epi8(_mm_or_si128(v, self.fold), self.byte)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(hay: &[u8], needle: &[u8]) -> Option<usize> {
        (0..=hay.len().checked_sub(needle.len())?)
            .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
    }

    #[test]
    fn finds_the_first_occurrence_in_any_case_at_any_position() {
        let needle = br"microsoft\\systemcertificates";
        let f = CiFinder::new(needle).expect("finder");
        for pad in 0..40 {
            for variant in [
                &br"MICROSOFT\\SYSTEMCERTIFICATES"[..],
                br"Microsoft\\SystemCertificates",
                br"mIcRoSoFt\\sYsTeMcErTiFiCaTeS",
            ] {
                let mut hay = vec![b'x'; pad];
                hay.extend_from_slice(br"microsoft\\system ");
                hay.extend_from_slice(variant);
                hay.extend_from_slice(b"tail");
                assert_eq!(f.find(&hay), naive(&hay, needle), "pad {pad}");
                assert_eq!(f.find(&hay), Some(pad + 18));
                // Cut the match: not found.
                let cut = &hay[..hay.len() - 5];
                assert_eq!(f.find(cut), None);
            }
        }
    }

    #[test]
    fn folding_never_hides_a_match_and_non_letters_match_exactly() {
        let needle = b"a@[z";
        let f = CiFinder::new(needle).expect("finder");
        // `|0x20` maps `@` to a backtick and `[` to `{`: those must not match.
        assert_eq!(f.find(b"..A`{Z.."), None);
        assert_eq!(f.find(b"..A@[Z.."), Some(2));
        // Pseudo-random haystacks against the naive search.
        let mut x: u32 = 12345;
        let alphabet = b"aAzZ@[`{\\\"";
        for _ in 0..2000 {
            let len = (x % 70) as usize;
            let hay: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    alphabet[(x >> 16) as usize % alphabet.len()]
                })
                .collect();
            assert_eq!(f.find(&hay), naive(&hay, needle), "{hay:?}");
        }
    }

    #[test]
    fn short_or_non_ascii_needles_are_refused() {
        assert!(CiFinder::new(b"a").is_none());
        assert!(CiFinder::new("é1".as_bytes()).is_none());
    }
}
