//! Every generated file equals a fresh run of the generator (tools/generate), and every
//! operation has a wrapper in each target. `BOSBASE_BLESS=1 cargo test --test generated`
//! (`make generate`) rewrites the files.

#[path = "../tools/generate/mod.rs"]
mod generate;

#[test]
fn committed_generated_files_are_fresh() {
    let mut stale = Vec::new();
    for (path, fresh) in generate::outputs() {
        let full = generate::root().join(path);
        if std::env::var_os("BOSBASE_BLESS").is_some() {
            std::fs::write(&full, &fresh).unwrap();
        }
        if std::fs::read_to_string(&full).unwrap_or_default() != fresh {
            stale.push(path);
        }
    }
    assert!(stale.is_empty(), "stale generated files {stale:?}: run `make generate` and commit them");
}

#[test]
fn every_operation_has_a_wrapper_in_every_target() {
    let files: Vec<(&str, String)> = generate::outputs();
    let ops = generate::table();
    for (path, text) in &files {
        for op in &ops {
            let hand_written = path.ends_with(".rs") && generate::rust::HAND_WRITTEN.contains(&op.name.as_str());
            let found = text.contains(&format!("\"{}\"", op.name)) || text.contains(&format!("`{}`", op.name));
            assert!(found || hand_written, "{path} has no wrapper for {}", op.name);
        }
    }
    // The hand-written Rust methods exist too (they call the executor by the same names).
    let record_service = std::fs::read_to_string(generate::root().join("src/record_service.rs")).unwrap();
    for name in generate::rust::HAND_WRITTEN {
        assert!(record_service.contains(&format!("\"{name}\"")), "src/record_service.rs lacks {name}");
    }
}
