//! Every generated file equals a fresh run of the generator (tools/generate), every operation
//! has a method defined in each target, named by the one rule (the smoke tests call them),
//! and generated files are marked. `BOSBASE_BLESS=1 cargo test --test generated` (`make
//! generate`) rewrites the files.

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

/// The name a generated file gives the operation whose name appears in the call right after
/// a definition: `(operation, method name)` pairs, from definition lines of `keyword`.
fn defined_names(text: &str, keyword: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut last = String::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("//") || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix(keyword) {
            // Go: `func (s *X) Name(`; the others: `name(`.
            let rest = if rest.starts_with('(') { rest.split_once(") ").map_or(rest, |(_, r)| r) } else { rest };
            let name = rest.split('(').next().unwrap_or("").rsplit(' ').next().unwrap_or("");
            last = name.trim_end_matches("Ctx").to_owned();
        } else if let Some(start) = line.find('"') {
            let op: String = line[start + 1..].chars().take_while(|c| *c != '"').collect();
            let known = generate::table().iter().any(|o| o.name == op);
            if known && !last.is_empty() && !pairs.iter().any(|(o, _)| *o == op) {
                pairs.push((op, last.clone()));
            }
        }
    }
    pairs
}

/// One naming rule for reserved names in every target (tools/generate/mod.rs `unreserved`):
/// a method is named after its operation (snake_case, or PascalCase in Go), with a trailing
/// `_` when the language reserves that name; never another name (GDScript's `get` used to
/// become `get_one`, the name of `records.getOne`).
#[test]
fn every_method_is_named_by_the_one_rule() {
    let files = generate::outputs();
    let text = |path: &str| files.iter().find(|(p, _)| *p == path).map(|(_, t)| t.clone()).unwrap();
    let targets = [
        ("src/services_gen.rs", "pub fn "),
        ("include/bosbase_operations_gen.hpp", "    "),
        ("bindings/go/operations_gen.go", "func "),
        ("bindings/elixir/lib/bosbase/operations_gen.ex", "def "),
        ("bindings/godot/addons/bosbase/operations_gen.gd", "func "),
        ("bindings/godot/addons/bosbase/record_operations_gen.gd", "func "),
    ];
    let mut checked = 0;
    for (path, keyword) in targets {
        let source = text(path);
        // C++ methods are the lines that open a `... name(...) const {` definition.
        let source = if keyword == "    " {
            source
                .lines()
                .map(|l| {
                    if l.trim_end().ends_with(") const {") {
                        format!("    DEF {}", l.trim_start())
                    } else {
                        l.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            source
        };
        let keyword = if keyword == "    " { "DEF " } else { keyword };
        let defined = defined_names(&source, keyword);
        // Every operation has its method in every target (GDScript: in one of its two files;
        // Rust: except the record methods hand-written in src/record_service.rs).
        for op in generate::table() {
            let elsewhere = path.ends_with(".gd")
                || (path.ends_with(".rs") && generate::rust::HAND_WRITTEN.contains(&op.name.as_str()));
            assert!(
                elsewhere || defined.iter().any(|(o, _)| *o == op.name),
                "{path} defines no method for {}",
                op.name
            );
        }
        for (op, name) in defined {
            let method = op.split_once('.').unwrap().1;
            let base = if path.ends_with(".go") { generate::pascal(method) } else { generate::snake(method) };
            assert!(
                name == base || name == format!("{base}_"),
                "{path}: `{op}` is `{name}`, want `{base}` or `{base}_`"
            );
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} methods found");
    let gd: Vec<(String, String)> = ["operations_gen.gd", "record_operations_gen.gd"]
        .iter()
        .flat_map(|f| defined_names(&text(&format!("bindings/godot/addons/bosbase/{f}")), "func "))
        .collect();
    for op in generate::table() {
        assert!(gd.iter().any(|(o, _)| *o == op.name), "GDScript defines no method for {}", op.name);
    }
    // The hand-written Rust record methods exist (they call the executor by the same names).
    let record_service = std::fs::read_to_string(generate::root().join("src/record_service.rs")).unwrap();
    for name in generate::rust::HAND_WRITTEN {
        assert!(record_service.contains(&format!("\"{name}\"")), "src/record_service.rs lacks {name}");
    }
}

/// Every generated file is marked one way: its name ends in `_gen` (before the extension) and
/// its first line is the marker Go's tools recognise; no hand-written file carries either
/// (README.md's operation table is the one generated block, between its markers).
#[test]
fn generated_files_are_marked_one_way() {
    let outputs: Vec<&str> = generate::outputs().iter().map(|(p, _)| *p).filter(|p| *p != "README.md").collect();
    for (path, text) in generate::outputs().iter().filter(|(p, _)| *p != "README.md") {
        let first = text.lines().next().unwrap_or_default();
        assert!(first.starts_with(generate::MARK_SLASH) || first.starts_with(generate::MARK_HASH), "{path}: {first}");
        let stem = path.rsplit('/').next().unwrap().split('.').next().unwrap();
        // (Go's test files must end in `_test.go`: `*_gen_test.go`.)
        assert!(stem.ends_with("_gen") || stem.ends_with("_gen_test"), "{path}: not named *_gen.*");
    }
    // Build copies and outputs (ignored by git) are not looked at.
    const SKIP: &[&str] =
        &["_build", "deps", "target", ".godot", "bindings/go/include", "bindings/go/lib", "addons/bosbase/bin"];
    fn walk(root: &std::path::Path, dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            // Symbolic links (the Godot projects' addons/ links to the addon) are not followed.
            let link = entry.file_type().is_ok_and(|t| t.is_symlink());
            if link || SKIP.iter().any(|s| rel == *s || rel.ends_with(&format!("/{s}"))) {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                found.push(path);
            }
        }
    }
    let root = generate::root();
    let mut found = Vec::new();
    for dir in ["src", "include", "bindings", "tools", "tests", "examples"] {
        walk(&root, &root.join(dir), &mut found);
    }
    for path in found {
        let rel = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let first = std::fs::read_to_string(&path).ok().and_then(|t| t.lines().next().map(str::to_owned));
        let marked = first.is_some_and(|f| f.starts_with(generate::MARK_SLASH) || f.starts_with(generate::MARK_HASH));
        let named = path
            .file_stem()
            .is_some_and(|s| s.to_string_lossy().ends_with("_gen") || s.to_string_lossy().ends_with("_gen_test"));
        if marked || named {
            assert!(outputs.contains(&rel.as_str()), "{rel} looks generated but tools/generate does not write it");
        }
    }
}
