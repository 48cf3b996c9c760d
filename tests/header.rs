//! The committed header must equal a fresh cbindgen run, and carry the crate version.
//! `BOSBASE_BLESS=1 cargo test --test header` rewrites it.

use std::path::Path;

fn generate() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(Path::new(root).join("cbindgen.toml")).expect("cbindgen.toml");
    let mut out = Vec::new();
    cbindgen::Builder::new().with_crate(root).with_config(config).generate().expect("cbindgen failed").write(&mut out);
    String::from_utf8(out).expect("utf-8 header")
}

#[test]
fn committed_header_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/bosbase.h");
    let fresh = generate();
    if std::env::var_os("BOSBASE_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == fresh, "include/bosbase.h is stale: run `make header` and commit it");
}

#[test]
fn header_version_matches_crate() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/bosbase.h")).unwrap();
    let want = format!("#define BOSBASE_VERSION \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(header.contains(&want), "cbindgen.toml's BOSBASE_VERSION must be {}", env!("CARGO_PKG_VERSION"));
}
