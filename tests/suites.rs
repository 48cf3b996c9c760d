//! How the Rust suites are found and gated: `make test` runs every tests/*.rs through cargo
//! (`cargo test --tests` under one dev server, no list to forget a file in), and the
//! real-server-only suites (tests/bosbase_*.rs) say they did not run — each test is ignored
//! with the reason — rather than fail or pass silently against the dev server.

use std::path::Path;

const REAL_SERVER_IGNORE: &str = "#[ignore = \"real BosBase server only: make test-bosbase runs it\"]";

fn test_files() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn real_server_suites_are_ignored_with_their_reason_and_the_others_never_silently() {
    let mut real = 0;
    for (name, text) in test_files() {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, _) in lines.iter().enumerate().filter(|(_, l)| **l == "#[test]") {
            let next = lines.get(i + 1).copied().unwrap_or_default();
            if name.starts_with("bosbase_") {
                assert_eq!(next, REAL_SERVER_IGNORE, "{name}: a real-server test must be ignored with the reason");
                real += 1;
            } else {
                assert!(next != "#[ignore]", "{name}: an ignored test says why (#[ignore = \"...\"])");
            }
        }
    }
    assert!(real > 20, "only {real} real-server tests found");
}

#[test]
fn make_test_finds_every_test_file_itself() {
    let core = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("mk/core.mk")).unwrap();
    let recipe = core.split("\ncore-test:").nth(1).and_then(|r| r.split("\n\n").next()).expect("a core-test target");
    // Under one dev server and the OAuth2 test provider (tests/oauth2.rs needs it).
    assert!(
        recipe.contains("scripts/devserver --demo -- scripts/oauth2-provider -- cargo test --no-fail-fast --tests\n"),
        "core-test runs `cargo test --tests`"
    );
    // The one named test binary is fuzz_seeds (it needs the `fuzzing` feature).
    let named: Vec<&str> =
        recipe.split("--test ").skip(1).map(|rest| rest.split_whitespace().next().unwrap_or_default()).collect();
    assert_eq!(named, ["fuzz_seeds"], "mk/core.mk lists test binaries by hand");
}
