//! `bindings/elixir/lib/bosbase/operations_gen.ex`: one Elixir function per operation, each a
//! call of the binding's one primitive, `Bosbase.Call.run/4`, with the row's name. Record
//! operations are injected into the hand-written `Bosbase.RecordService` (`use
//! Bosbase.Operations, :records`, beside the seed's `send/3`) and take the service first;
//! every other group is a module of its own (`Bosbase.Health.check(pb, opts \\ [])`).
//! The output is what `mix format` makes of it (`make elixir-test` checks).

use super::{groups, pascal, snake, unreserved, Op, MARK_HASH};

/// The generated file.
pub const PATH: &str = "bindings/elixir/lib/bosbase/operations_gen.ex";

/// `mix format`'s default line length.
const LINE: usize = 98;

/// Elixir's reserved words and the names the generated functions use themselves; a
/// function or argument with one of these names gets the shared rule's `_` suffix.
const RESERVED: &[&str] = &[
    "true", "false", "nil", "when", "and", "or", "not", "in", "fn", "do", "end", "catch", "rescue", "after", "else",
    "opts", "args", "client", "service",
];

/// The Elixir name of an argument or function (`snake`, by the shared rule).
pub fn ident(name: &str) -> String {
    unreserved(snake(name), RESERVED)
}

/// `name(a, b, c)` on one line when it fits in `LINE` after `prefix` and before `suffix`,
/// else one item a line, as `mix format` writes it (items indented by `pad` + 2 + `extra`,
/// the closing parenthesis by `pad` + `extra`).
fn call_form(pad: &str, extra: usize, prefix: &str, items: &[String], suffix: &str) -> String {
    let one = format!("{pad}{prefix}({}){suffix}", items.join(", "));
    if one.len() <= LINE {
        return one;
    }
    let inner = " ".repeat(pad.len() + 2 + extra);
    let close = " ".repeat(pad.len() + extra);
    let lines: Vec<String> = items.iter().map(|i| format!("{inner}{i}")).collect();
    format!("{pad}{prefix}(\n{}\n{close}){suffix}", lines.join(",\n"))
}

fn elixir_type(ty: &str) -> &'static str {
    match ty {
        "integer" => "integer()",
        "boolean" => "boolean()",
        "object" => "map()",
        "array" => "list()",
        "any" => "term()",
        _ => "String.t()",
    }
}

/// A default value as an Elixir literal (`{}` is a tuple in Elixir, a map is `%{}`).
fn literal(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(m) if m.is_empty() => "%{}".to_owned(),
        other => other.to_string(),
    }
}

/// The module that holds `op`'s function.
pub fn module(op: &Op) -> String {
    if op.on_collection() {
        "Bosbase.RecordService".to_owned()
    } else {
        format!("Bosbase.{}", pascal(&op.group))
    }
}

/// Text inside an Elixir heredoc: no interpolation, no escapes.
fn heredoc(text: &str) -> String {
    text.replace('\\', "\\\\").replace("#{", "\\#{")
}

/// One function, indented by `indent` spaces.
fn function(op: &Op, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let first = if op.on_collection() { "service" } else { "client" };
    let first_type = if op.on_collection() { "t()" } else { "Bosbase.Client.t()" };
    let name = ident(&op.method);
    let params = op.params();

    let mut doc = format!("{}\n\nOperation `{}`", heredoc(&op.doc), op.name);
    if let Ok(row) = bosbase::operations::find(&op.name) {
        doc.push_str(&format!(" (`{} {}`)", row.method, row.path));
    }
    doc.push('.');
    let defaults: Vec<String> = params
        .iter()
        .filter_map(|a| a.default.as_ref().map(|d| format!("`{}` defaults to `{}`", ident(&a.name), literal(d))))
        .collect();
    if !defaults.is_empty() {
        doc.push_str(&format!(" {}.", defaults.join(", ")));
    }
    doc.push_str(" `opts` as for `Bosbase.RecordService`.");

    let mut types: Vec<String> = vec![first_type.to_owned()];
    types.extend(params.iter().map(|a| elixir_type(&a.ty).to_owned()));
    types.push("Bosbase.Call.opts()".to_owned());
    let new_client = op.forks;
    let result = match op.result.as_str() {
        _ if new_client => "{:ok, Bosbase.Client.t()} | Bosbase.Call.error()",
        "true" => "{:ok, true} | Bosbase.Call.error()",
        "list" => "{:ok, list()} | Bosbase.Call.error()",
        "string" => "{:ok, String.t()} | Bosbase.Call.error()",
        "integer" => "{:ok, integer()} | Bosbase.Call.error()",
        _ => "Bosbase.Call.result()",
    };
    let head = format!("{pad}@spec {name}({}) ::", types.join(", "));
    let spec = if head.len() + 1 + result.len() <= LINE {
        format!("{head} {result}\n")
    } else if head.len() <= LINE {
        format!("{head}\n{pad}        {result}\n")
    } else {
        // The argument types one a line (`mix format` indents them under `@spec`).
        let head = call_form(pad.as_str(), 6, &format!("@spec {name}"), &types, " ::");
        format!("{head}\n{pad}        {result}\n")
    };

    let mut args: Vec<String> = vec![first.to_owned()];
    args.extend(params.iter().map(|a| match &a.default {
        Some(d) => format!("{} \\\\ {}", ident(&a.name), literal(d)),
        None => ident(&a.name),
    }));
    args.push("opts \\\\ []".to_owned());
    let def = format!("{}\n", call_form(pad.as_str(), 4, &format!("def {name}"), &args, " do"));
    let run = if new_client { "run_new_client" } else { "run" };

    let pairs: Vec<String> = params.iter().map(|a| format!("\"{}\" => {}", a.name, ident(&a.name))).collect();
    let body = if pairs.is_empty() {
        format!("{pad}  Bosbase.Call.{run}({first}, \"{}\", %{{}}, opts)\n", op.name)
    } else {
        let one_line = format!("{pad}  args = %{{{}}}", pairs.join(", "));
        let map = if one_line.len() <= LINE {
            one_line
        } else {
            let inner: String = pairs.iter().map(|p| format!("{pad}    {p}")).collect::<Vec<_>>().join(",\n");
            format!("{pad}  args = %{{\n{inner}\n{pad}  }}")
        };
        format!("{map}\n\n{pad}  Bosbase.Call.{run}({first}, \"{}\", args, opts)\n", op.name)
    };

    let doc_lines: String =
        doc.lines().map(|l| if l.is_empty() { "\n".to_owned() } else { format!("{pad}{l}\n") }).collect();
    format!("{pad}@doc \"\"\"\n{doc_lines}{pad}\"\"\"\n{spec}{def}{body}{pad}end\n")
}

/// Generated files: (path relative to the repository root, contents).
pub fn outputs(ops: &[Op]) -> Vec<(&'static str, String)> {
    let mut s = format!("{MARK_HASH}\n")
        + "# From the core's operation table: change the table or tools/generate, then `make generate`.\n\
         defmodule Bosbase.Operations do\n  \
         @moduledoc false\n  \
         # The record operations, injected into Bosbase.RecordService by\n  \
         # `use Bosbase.Operations, :records`; each takes the service first and runs its row\n  \
         # of the core's operation table through Bosbase.Call.run/4. The other groups are the\n  \
         # modules below.\n\n  \
         defmacro __using__(:records) do\n    quote do\n";
    let records: Vec<String> = ops.iter().filter(|o| o.on_collection()).map(|o| function(o, 6)).collect();
    s.push_str(&records.join("\n"));
    s.push_str("    end\n  end\nend\n");
    for g in groups(ops) {
        s.push_str(&format!(
            "\ndefmodule Bosbase.{} do\n  @moduledoc \"\"\"\n  The `{g}.*` operations of the core's operation table, each run through\n  `Bosbase.Call.run/4` on a `%Bosbase.Client{{}}`.\n  \"\"\"\n\n",
            pascal(&g)
        ));
        let fns: Vec<String> =
            ops.iter().filter(|o| !o.on_collection() && o.group == g).map(|o| function(o, 2)).collect();
        s.push_str(&fns.join("\n"));
        s.push_str("end\n");
    }
    vec![(PATH, s)]
}

/// How the README's operation table names `op` in this language.
pub fn readme_name(op: &Op) -> Option<String> {
    let first = if op.on_collection() { "svc" } else { "pb" };
    let mut args: Vec<String> = vec![first.to_owned()];
    args.extend(op.params().iter().map(|a| ident(&a.name)));
    args.push("…".to_owned());
    Some(format!("`{}.{}({})`", module(op), ident(&op.method), args.join(", ")))
}
