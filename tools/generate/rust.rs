//! `src/services_gen.rs`: typed Rust services for the operations without a hand-written
//! method (the seeds' record methods keep their hand-written signatures).

use super::{groups, pascal, snake, unreserved, Op, MARK_SLASH};

/// Record operations whose typed methods are hand-written in `src/record_service.rs`
/// (the seeds' signatures: body and query maps, an optional MFA id).
pub const HAND_WRITTEN: &[&str] = &[
    "records.bindCustomToken",
    "records.unbindCustomToken",
    "records.authWithToken",
    "records.authWithPassword",
    "records.authRefresh",
    "records.impersonate",
];

/// `max_width` in rustfmt.toml.
const MAX_WIDTH: usize = 120;

/// Rust keywords (strict and reserved) an argument or method name may hit, plus the names
/// the generated methods use themselves.
const RESERVED: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static",
    "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do",
    "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "gen", "args", "options",
    "client",
];

/// A Rust identifier for an argument or method (the shared rule: `async` → `async_`).
pub fn ident(name: &str) -> String {
    unreserved(snake(name), RESERVED)
}

fn rust_type(ty: &str) -> &'static str {
    match ty {
        "integer" => "i64",
        "boolean" => "bool",
        "object" | "array" | "any" => "Value",
        _ => "&str",
    }
}

/// The Rust method name of `op` (`health.check` → `check` on `pb.health()`).
pub fn method_name(op: &Op) -> String {
    ident(&op.method)
}

/// The typed return of `op`: its result shape's Rust type, or a new client for `forks`.
pub fn return_type(op: &Op) -> &'static str {
    match op.result.as_str() {
        _ if op.forks => "BosBase",
        "true" => "bool",
        "list" => "Vec<Value>",
        "string" => "String",
        "integer" => "i64",
        _ => "Value",
    }
}

pub fn generate(ops: &[Op]) -> String {
    let generated: Vec<&Op> =
        ops.iter().filter(|o| o.on_collection() && !HAND_WRITTEN.contains(&o.name.as_str())).collect();
    let record_import = if generated.is_empty() { "" } else { "RecordService, " };
    let mut s = format!(
        "{MARK_SLASH}\n\
         // From the core's operation table: change the table or tools/generate, then `make generate`.\n\
         //! Typed services generated from the [operation table](crate::operations): one method per\n\
         //! operation, each running its row through [`BosBase::operation`]. (The seeds' record\n\
         //! methods are hand-written in `record_service.rs`.)\n\n\
         use serde_json::{{Map, Value}};\n\n\
         use crate::{{BosBase, Call, {record_import}SendOptions}};\n",
    );
    let groups = groups(ops);
    s.push_str("\nimpl BosBase {\n");
    for g in &groups {
        s.push_str(&format!(
            "    /// The `{g}.*` operations.\n    pub fn {}(&self) -> {}Service {{\n        {}Service {{ client: self.clone() }}\n    }}\n",
            snake(g),
            pascal(g),
            pascal(g)
        ));
    }
    s.push_str("}\n");
    for g in &groups {
        s.push_str(&format!(
            "\n/// The `{g}.*` operations, from [`BosBase::{}`].\n#[derive(Clone, Debug)]\npub struct {}Service {{\n    pub(crate) client: BosBase,\n}}\n\nimpl {}Service {{\n",
            snake(g),
            pascal(g),
            pascal(g)
        ));
        for op in ops.iter().filter(|o| !o.on_collection() && &o.group == g) {
            s.push_str(&method(op, "self.client.operation"));
        }
        s.push_str("}\n");
    }
    if !generated.is_empty() {
        s.push_str("\nimpl RecordService {\n");
        for op in generated {
            s.push_str(&method(op, "self.operation"));
        }
        s.push_str("}\n");
    }
    s
}

fn method(op: &Op, run: &str) -> String {
    let params: String = op.params().iter().map(|a| format!("{}: {}, ", ident(&a.name), rust_type(&a.ty))).collect();
    let mut body = String::from("        let mut args = Map::new();\n");
    for a in op.params() {
        let value = match a.ty.as_str() {
            "object" | "array" | "any" => ident(&a.name),
            _ => format!("Value::from({})", ident(&a.name)),
        };
        body.push_str(&format!("        args.insert(\"{}\".to_owned(), {value});\n", a.name));
    }
    if op.params().is_empty() {
        body = String::from("        let args = Map::new();\n");
    }
    let name = method_name(op);
    let ret = return_type(op);
    let mut head = format!("    pub fn {name}(&self, {params}options: SendOptions) -> Call<{ret}> {{\n");
    // What rustfmt does with a signature over its line width: one parameter per line.
    if head.len() - 1 > MAX_WIDTH {
        let each: String =
            op.params().iter().map(|a| format!("        {}: {},\n", ident(&a.name), rust_type(&a.ty))).collect();
        head = format!(
            "    pub fn {name}(\n        &self,\n{each}        options: SendOptions,\n    ) -> Call<{ret}> {{\n"
        );
    }
    // A fork signs a new client in with the login; other results convert to their type.
    let (fork, then) = match (op.forks, ret) {
        (true, _) => (
            "        let client = self.client.clone();\n",
            "\n            .and_then(move |auth| client.fork(Some(&auth)))",
        ),
        (false, "Value") => ("", ""),
        (false, _) => ("", ".and_then(crate::operations::typed)"),
    };
    let call = format!("        {run}(\"{}\", args, options){then}\n", op.name);
    let call = if then.starts_with('.') && call.len() - 1 > MAX_WIDTH {
        format!("        {run}(\"{}\", args, options)\n            {then}\n", op.name)
    } else {
        call
    };
    format!("    /// {}\n    ///\n    /// Operation `{}`.\n{head}{body}{fork}{call}    }}\n", op.doc, op.name)
}
