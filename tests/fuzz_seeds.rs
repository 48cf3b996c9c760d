//! Every committed fuzz seed (`fuzz/corpus/<target>/`) and regression input
//! (`fuzz/regressions/<target>/`) through its fuzz target's body, on stable: the targets'
//! checks stay compiled and true for the inputs we know, without nightly or cargo-fuzz.
//! (`make fuzz` runs the targets themselves.)

use std::path::Path;

#[test]
fn every_seed_and_regression_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut ran = 0;
    for (name, target) in bosbase::fuzzing::TARGETS {
        let mut seeds = 0;
        for dir in [root.join("corpus").join(name), root.join("regressions").join(name)] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut paths: Vec<_> = entries.map(|e| e.expect("dir entry").path()).collect();
            paths.sort();
            for path in paths {
                let input = std::fs::read(&path).expect("seed file");
                eprintln!("{name}: {}", path.display());
                target(&input);
                seeds += 1;
            }
        }
        assert!(seeds > 0, "no seeds for fuzz target {name}");
        ran += seeds;
    }
    eprintln!("{ran} inputs passed");
}
