//! Every SigmaHQ rule loads, or is refused with a precise reason: at least 99 % load.

use std::path::PathBuf;

use saker_sigma::{Options, load};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sigma/rules");
    p.is_dir().then_some(p)
}

#[test]
fn sigmahq_rules_load() {
    let Some(root) = corpus() else {
        println!("skipped: corpus absent");
        return;
    };
    let set = load(&[root], &Options::default());
    let loaded = set.rules.len() + set.correlations.len();
    let refused: Vec<_> = set
        .refused
        .iter()
        .filter(|r| r.diagnostic.is_error())
        .collect();
    for r in &refused {
        println!(
            "refused {} ({}): [{}] {}",
            r.path.display(),
            r.title.as_deref().unwrap_or("-"),
            r.diagnostic.code,
            r.diagnostic.message
        );
        assert!(!r.diagnostic.message.is_empty());
    }
    let total = loaded + refused.len();
    println!(
        "{loaded} of {total} documents load, {} refused",
        refused.len()
    );
    assert!(
        total >= 3700,
        "expected the whole SigmaHQ tree, found {total} documents"
    );
    assert!(loaded * 100 >= total * 99, "only {loaded} of {total} load");
}
