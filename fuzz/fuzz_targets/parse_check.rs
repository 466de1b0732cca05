//! Parser, checker, formatter, lowering and printer on arbitrary text: nothing may panic, and
//! formatting must be idempotent.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = saker_cql::parse(text);
    let _ = saker_cql::check(text, &saker_cql::CheckOptions::default());
    if let Ok(plan) = saker_cql::compile(text, &saker_cql::CompileOptions::default()) {
        let _ = saker_cql::compile(&saker_cql::print(&plan), &Default::default());
    }
    if let Ok(once) = saker_cql::format(text)
        && let Ok(twice) = saker_cql::format(&once)
    {
        assert_eq!(once, twice, "formatting is not idempotent");
    }
});
