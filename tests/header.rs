//! The committed header must equal a fresh cbindgen run, carry the crate version, and
//! declare only prefixed names. `BOSBASE_BLESS=1 cargo test --test header` rewrites it.

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

/// The header without comments, string literals or preprocessor lines (each `#define`'s
/// name is returned apart), and without the C++ `extern "C"` wrapper.
fn strip(header: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut chars = header.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('/', Some('*')) => {
                let mut prev = ' ';
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
                out.push(' ');
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('"', _) => {
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    let mut macros = Vec::new();
    let mut code = String::new();
    for line in out.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix('#') {
            if let Some(def) = rest.trim_start().strip_prefix("define") {
                macros.extend(def.split_whitespace().next().map(str::to_owned));
            }
        } else if line != "extern \"\" {" && line != "}" {
            code.push_str(line);
            code.push('\n');
        }
    }
    (code, macros)
}

/// Every name the header declares at file scope: macros, enum tags and constants, struct
/// tags, typedef names, functions (not parameter names).
fn declared_names(header: &str) -> Vec<String> {
    let (code, mut names) = strip(header);
    let mut tokens: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in code.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
    }
    let ident = |t: &str| t.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_');
    // One top-level declaration at a time (up to its `;`).
    for decl in tokens.split(|t| t == ";") {
        let mut depth = 0; // parentheses
        let mut braces = 0;
        let mut first_paren_name = None;
        for (i, t) in decl.iter().enumerate() {
            match t.as_str() {
                "(" => {
                    if depth == 0 && first_paren_name.is_none() {
                        // `typedef void (*Name)(...)` names the typedef; `name(...)` a function.
                        first_paren_name = match decl.get(i + 1).map(String::as_str) {
                            Some("*") => decl.get(i + 2).cloned(),
                            _ => decl[..i].last().cloned(),
                        };
                    }
                    depth += 1;
                }
                ")" => depth -= 1,
                "{" => braces += 1,
                "}" => braces -= 1,
                "enum" | "struct" if depth == 0 && braces == 0 => names.extend(decl.get(i + 1).cloned()),
                // Enum constants: the first word of each item in the braces.
                name if braces == 1 && depth == 0 && ident(name) && matches!(decl[i - 1].as_str(), "{" | ",") => {
                    names.push(name.to_owned())
                }
                _ => {}
            }
        }
        match first_paren_name {
            Some(name) => names.push(name),
            // `typedef uint32_t Name`, `typedef struct Name Name`: the last word.
            None if decl.first().is_some_and(|t| t == "typedef") => names.extend(decl.last().cloned()),
            None => {}
        }
    }
    names.retain(|n| ident(n));
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_declared_name_is_prefixed() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/bosbase.h")).unwrap();
    let names = declared_names(&header);
    // The parser sees what it must (a broken parser passing everything would be no check).
    for must in
        ["bosbase_client_new", "BosbaseClient", "BOSBASE_STATUS_OK", "BOSBASE_ABI_VERSION", "BosbaseCallCallback"]
    {
        assert!(names.iter().any(|n| n == must), "the name parser missed {must}: {names:?}");
    }
    let bad: Vec<&String> =
        names.iter().filter(|n| !["bosbase_", "Bosbase", "BOSBASE_"].iter().any(|p| n.starts_with(p))).collect();
    assert!(bad.is_empty(), "header names without the bosbase_/Bosbase/BOSBASE_ prefix: {bad:?}");
}

#[test]
fn the_name_check_catches_unprefixed_names() {
    let header = "#define QUEUE_LIMIT 1024\n/* x */ enum E { A = 0, B = 1, };\n\
                  typedef struct Opaque Opaque;\ntypedef void (*Cb)(void *user_data, const char *json);\n\
                  int do_it(const struct Opaque *client,\n   int n);\n";
    assert_eq!(declared_names(header), ["A", "B", "Cb", "E", "Opaque", "QUEUE_LIMIT", "do_it"]);
}
