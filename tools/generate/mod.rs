//! The binding generator: reads the operation table (the same JSON `bosbase_operations_json`
//! returns) and writes every per-operation wrapper, one module per target. It runs inside
//! `tests/generated.rs`, so `cargo test` fails when a committed file differs from a fresh
//! generation; `make generate` (BOSBASE_BLESS=1) rewrites them. Offline: it needs only the
//! crate itself.
//!
//! Naming, shared by every target: an operation `group.method` becomes a method on a
//! service. `records.*` operations (their first argument is the `collection` path argument)
//! belong to a collection's record service (`pb.collection("users").auth_with_token(token)`);
//! the others to a service named after the group (`pb.health().check()`). Required arguments
//! are positional, arguments with a default follow with that default, then the options.
//!
//! Everything special about a row comes from the export, never from a list here: `files`
//! (the wrapper takes file parts), `forks` (the typed result is a new client), `result` (the
//! typed return), `zeroIsValue` (an argument whose zero value is not its default).
//!
//! Reserved names, one rule for every target and every operation ([`unreserved`]): a method
//! or parameter name that the target language reserves (a keyword, a method its base class
//! already has such as GDScript's `Object.get`, a name the generated code uses itself) gets a
//! trailing `_`: `records.delete` is C++ `delete_`, `scripts.get` GDScript `get_`, the
//! argument `async` Rust `async_`, `query` Go `query_`.

pub mod cpp;
pub mod elixir;
pub mod gdscript;
pub mod go;
pub mod readme;
pub mod rust;

use serde_json::Value;

/// One argument, as the table exports it.
#[derive(Debug, Clone)]
pub struct Arg {
    pub name: String,
    pub place: String,
    pub ty: String,
    pub default: Option<Value>,
    /// The type's zero value is a value of its own (not "the default").
    pub zero_is_value: bool,
}

/// One operation, as the table exports it, with the names every target derives from it.
#[derive(Debug, Clone)]
pub struct Op {
    pub name: String,
    pub group: String,
    pub method: String,
    pub args: Vec<Arg>,
    pub effect: String,
    pub result: String,
    /// The call takes file parts.
    pub files: bool,
    /// The typed result is a new client signed in with the (login) result.
    pub forks: bool,
    pub doc: String,
}

impl Op {
    /// True for operations of a collection's record service: `records.*` rows, whose first
    /// argument is the `collection` path argument. (Other groups may take a `collection` of
    /// their own, e.g. a vector collection; they stay on their group's service.)
    pub fn on_collection(&self) -> bool {
        self.group == "records" && self.args.first().is_some_and(|a| a.name == "collection" && a.place == "path")
    }

    /// The arguments a wrapper takes (the record service supplies `collection`).
    pub fn params(&self) -> Vec<&Arg> {
        self.args.iter().skip(usize::from(self.on_collection())).collect()
    }
}

/// The table, parsed from the crate's own export.
pub fn table() -> Vec<Op> {
    let json = bosbase::operations::to_json();
    json.as_array()
        .expect("the table is an array")
        .iter()
        .map(|o| {
            let name = o["name"].as_str().unwrap().to_owned();
            let (group, method) = name.split_once('.').expect("group.method");
            Op {
                group: group.to_owned(),
                method: method.to_owned(),
                args: o["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| Arg {
                        name: a["name"].as_str().unwrap().to_owned(),
                        place: a["in"].as_str().unwrap().to_owned(),
                        ty: a["type"].as_str().unwrap().to_owned(),
                        default: (!a["default"].is_null()).then(|| a["default"].clone()),
                        zero_is_value: a["zeroIsValue"].as_bool().unwrap(),
                    })
                    .collect(),
                effect: o["effect"].as_str().unwrap().to_owned(),
                result: o["result"].as_str().unwrap().to_owned(),
                files: o["files"].as_bool().unwrap(),
                forks: o["forks"].as_bool().unwrap(),
                doc: o["doc"].as_str().unwrap().to_owned(),
                name,
            }
        })
        .collect()
}

/// The groups with a service of their own, in table order.
pub fn groups(ops: &[Op]) -> Vec<String> {
    let mut groups: Vec<String> = Vec::new();
    for op in ops.iter().filter(|o| !o.on_collection()) {
        if !groups.contains(&op.group) {
            groups.push(op.group.clone());
        }
    }
    groups
}

/// `authWithToken` → `auth_with_token`; an acronym is one word (`getURL` → `get_url`,
/// `requestOTP` → `request_otp`, `authWithOAuth2Code` → `auth_with_oauth2_code`).
pub fn snake(camel: &str) -> String {
    let camel = camel.replace("OAuth", "Oauth");
    let chars: Vec<char> = camel.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && !chars[i - 1].is_ascii_uppercase();
            let acronym_ends =
                i > 0 && chars[i - 1].is_ascii_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev_lower || acronym_ends {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The naming rule for reserved names (see the module doc): `name`, or `name_` when `reserved`
/// (the target's keywords and names it may not use) holds it.
pub fn unreserved(name: String, reserved: &[&str]) -> String {
    if reserved.contains(&name.as_str()) {
        name + "_"
    } else {
        name
    }
}

/// `authWithToken` → `AuthWithToken`.
pub fn pascal(camel: &str) -> String {
    let mut chars = camel.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// Every generated file: (path relative to the repository root, contents).
pub fn outputs() -> Vec<(&'static str, String)> {
    let ops = table();
    let mut out =
        vec![("include/bosbase_operations.hpp", cpp::generate(&ops)), ("src/services.rs", rust::generate(&ops))];
    out.extend(go::outputs(&ops));
    out.extend(elixir::outputs(&ops));
    out.extend(gdscript::outputs(&ops));
    out.push(("README.md", readme::generate(&ops, &std::fs::read_to_string(root().join("README.md")).unwrap())));
    out
}

/// The repository root.
pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
