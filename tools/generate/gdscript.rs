//! The GDScript target: awaitable methods of the Godot addon, each one call of its one
//! hand-written primitive, `pb.call_operation(name, args, options)` (bosbase.gd), with the
//! row's name. Two generated scripts, each the base class of a hand-written one:
//!
//! * `addons/bosbase/record_operations_gen.gd`, base of `record_service.gd`: the record
//!   operations (`await pb.collection("users").auth_with_token(token, options := {})`).
//! * `addons/bosbase/operations_gen.gd`, base of `bosbase.gd`: one accessor per other group,
//!   returning a new service (`await pb.health().check()`, `await
//!   pb.collections().get_list(page := 1, per_page := 30, options := {})`). A method, not a
//!   property, as `pb.collection(name)` is: the service holds the client, the client holds
//!   no service, so no reference cycle keeps a client alive.
//!
//! Signature: the required arguments (typed), the arguments with a default, then `options:
//! Dictionary = {}`; every method returns the call's `Signal`, except the rows that fork (a
//! coroutine giving a new client). `##` docs come from the
//! row's doc (backticks become `[code]`). The output passes `gdlint` with its defaults.

use super::{groups, pascal, snake, unreserved, Arg, Op, MARK_HASH};

const RECORDS_PATH: &str = "bindings/godot/addons/bosbase/record_operations_gen.gd";
const CLIENT_PATH: &str = "bindings/godot/addons/bosbase/operations_gen.gd";

/// gdlint's default `max-line-length`; a tab counts as 4 here, to be safe.
const LINE: usize = 100;

/// GDScript's keywords, the methods every class inherits from `Object`/`RefCounted` that a
/// script may not redeclare with another signature (Godot refuses to compile such a script),
/// and the names the generated code uses itself.
const RESERVED: &[&str] = &[
    "if",
    "elif",
    "else",
    "for",
    "while",
    "match",
    "break",
    "continue",
    "pass",
    "return",
    "class",
    "class_name",
    "extends",
    "is",
    "in",
    "as",
    "self",
    "signal",
    "func",
    "static",
    "const",
    "enum",
    "var",
    "breakpoint",
    "preload",
    "await",
    "yield",
    "assert",
    "void",
    "not",
    "and",
    "or",
    "super",
    "get",
    "set",
    "call",
    "callv",
    "free",
    "connect",
    "disconnect",
    "notification",
    "emit_signal",
    "has_method",
    "get_class",
    "is_class",
    "reference",
    "unreference",
    "options",
    "auth",
    "collection_name",
];

/// The GDScript name of a method or argument: snake_case, by the shared rule (`scripts.get`
/// → `get_`).
fn ident(name: &str) -> String {
    unreserved(snake(name), RESERVED)
}

/// The GDScript method name of `op`.
pub fn method_name(op: &Op) -> String {
    ident(&op.method)
}

fn width(line: &str) -> usize {
    line.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

fn gd_type(arg: &Arg) -> &'static str {
    match arg.ty.as_str() {
        "integer" => "int",
        "boolean" => "bool",
        "object" => "Dictionary",
        "array" => "Array",
        "any" => "Variant",
        _ => "String",
    }
}

/// `a `b` c` → `a [code]b[/code] c` (the class reference's markup).
fn bbcode(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            // A span breaks across lines only when it could not fit on one: NBSP_MARK stands
            // for its spaces until wrapped.
            let span = format!("[code]{part}[/code]");
            if width(&span) + 8 > LINE {
                out.push_str(&span);
            } else {
                out.push_str(&span.replace(' ', NBSP_MARK));
            }
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Stands for a space that must not break a line (inside a `[code]` span).
const NBSP_MARK: &str = "\u{1}";

/// `##` lines of at most LINE columns, indented by `pad`.
fn doc_lines(text: &str, pad: &str) -> String {
    let mut out = String::new();
    let mut line = format!("{pad}##");
    for word in text.split_whitespace() {
        if width(&line) + 1 + word.chars().count() > LINE && width(&line) > width(pad) + 2 {
            out.push_str(&line);
            out.push('\n');
            line = format!("{pad}##");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out.replace(NBSP_MARK, " ")
}

/// One method, indented by `pad` (`""` or `"\t"`).
fn method(op: &Op, pad: &str, collection: Option<&str>) -> String {
    let params = op.params();
    let mut doc = format!("{} Operation [code]{}[/code]", bbcode(&op.doc), op.name);
    if let Ok(row) = bosbase::operations::find(&op.name) {
        doc.push_str(&format!(" ([code]{} {}[/code])", row.method, row.path));
    }
    let forks = op.forks;
    if forks {
        doc.push_str(
            "; gives a new client ([code]bosbase.gd[/code], this client's settings, its own auth store \
             holding the result; see [code]fork()[/code]) or a [ClientResponseError]. A coroutine: \
             [code]await[/code] the call itself.",
        );
    } else {
        doc.push_str("; the returned [Signal] gives the result or a [ClientResponseError].");
    }
    let ret = if forks { "Variant" } else { "Signal" };
    let lead = if forks { "var auth: Variant = await " } else { "return " };

    let mut sig: Vec<String> = params
        .iter()
        .map(|a| match &a.default {
            Some(d) => format!("{}: {} = {d}", ident(&a.name), gd_type(a)),
            None => format!("{}: {}", ident(&a.name), gd_type(a)),
        })
        .collect();
    sig.push("options: Dictionary = {}".to_owned());
    let name = method_name(op);
    let one = format!("{pad}func {name}({}) -> {ret}:", sig.join(", "));
    let head = if width(&one) <= LINE {
        format!("{one}\n")
    } else {
        let inner = format!("{pad}\t{}", sig.join(", "));
        if width(&inner) <= LINE {
            format!("{pad}func {name}(\n{inner}\n{pad}) -> {ret}:\n")
        } else {
            let each: String = sig.iter().map(|p| format!("{pad}\t{p},\n")).collect();
            format!("{pad}func {name}(\n{each}{pad}) -> {ret}:\n")
        }
    };

    let mut pairs: Vec<String> = Vec::new();
    if let Some(c) = collection {
        pairs.push(format!("\"collection\": {c}"));
    }
    pairs.extend(params.iter().map(|a| format!("\"{}\": {}", a.name, ident(&a.name))));
    let args = format!("{{{}}}", pairs.join(", "));
    // Godot's JSON gives every number as a float: an integer row says so, and its result
    // arrives as an int.
    let typed = if op.result == "integer" { ", TYPE_INT" } else { "" };
    let one = format!("{pad}\t{lead}_client.call_operation(\"{}\", {args}, options{typed})", op.name);
    let body = if width(&one) <= LINE {
        format!("{one}\n")
    } else {
        let args_line = format!("{pad}\t\t{args},");
        let args_text = if width(&args_line) <= LINE {
            format!("{args_line}\n")
        } else {
            let each: String = pairs.iter().map(|p| format!("{pad}\t\t\t{p},\n")).collect();
            format!("{pad}\t\t{{\n{each}{pad}\t\t}},\n")
        };
        format!(
            "{pad}\t{lead}_client.call_operation(\n{pad}\t\t\"{}\",\n{args_text}{pad}\t\toptions{}\n{pad}\t)\n",
            op.name,
            if typed.is_empty() { String::new() } else { ",\n".to_owned() + pad + "\t\tTYPE_INT" }
        )
    };
    let tail = if forks { format!("{pad}\treturn _client.fork(auth)\n") } else { String::new() };
    // gdlint's naming rules refuse the shared rule's trailing `_`: say so where it applies.
    // `ignore` covers the next line only, so in a signature broken over lines it goes right
    // before each line holding such an argument (gdlint's disable/enable pairs do not nest
    // reliably: a second pair in one file is not honoured).
    let underscored = |line: &str| {
        params.iter().any(|a| ident(&a.name).ends_with('_') && line.contains(&format!("{}:", ident(&a.name))))
    };
    let mut ignore: Vec<&str> = Vec::new();
    if name.ends_with('_') {
        ignore.push("function-name");
    }
    let mut head_text = String::new();
    for (i, line) in head.lines().enumerate() {
        if i == 0 && underscored(line) {
            ignore.push("function-argument-name");
        } else if i > 0 && underscored(line) {
            head_text.push_str(&format!("{pad}\t# gdlint: ignore=function-argument-name\n"));
        }
        head_text.push_str(line);
        head_text.push('\n');
    }
    let head = head_text;
    let lint = match ignore.is_empty() {
        true => String::new(),
        false => format!("{pad}# gdlint: ignore={}\n", ignore.join(",")),
    };
    format!("{}{lint}{head}{body}{tail}", doc_lines(&doc, pad))
}

/// A comment naming the operations generated in the other file, so each file names the
/// whole table (the drift test looks for every operation in every generated file).
fn elsewhere(ops: &[Op], on_collection: bool, file: &str) -> String {
    let names: Vec<String> =
        ops.iter().filter(|o| o.on_collection() == on_collection).map(|o| format!("`{}`", o.name)).collect();
    let mut s = String::new();
    let mut line = format!("# In {file}:");
    for n in names {
        if width(&line) + 1 + n.len() + 1 > LINE {
            s.push_str(&line);
            s.push('\n');
            line = "#".to_owned();
        }
        line.push(' ');
        line.push_str(&n);
        line.push(',');
    }
    line.pop();
    line.push('.');
    s.push_str(&line);
    s.push('\n');
    s
}

fn records(ops: &[Op]) -> String {
    // One method per record row: more than gdlint's default of 20 public methods. gdlint
    // reports that on line 1, so its switch must sit on line 1, after the header.
    let mut s = format!("{MARK_HASH}  # gdlint: disable=max-public-methods\n");
    s.push_str(&elsewhere(ops, false, "operations_gen.gd"));
    s.push_str(
        "extends RefCounted\n\
         ## The record operations of the core's operation table, generated: the base class of\n\
         ## [code]record_service.gd[/code] ([code]pb.collection(name)[/code]). Each method runs its\n\
         ## row through [code]pb.call_operation()[/code] and returns a [Signal] to\n\
         ## [code]await[/code] at once; it gives the result or a [ClientResponseError].\n\
         ## [param options] everywhere is the core's options object: [code]body[/code],\n\
         ## [code]query[/code], [code]headers[/code], [code]expand[/code], [code]fields[/code],\n\
         ## [code]mfaId[/code] (to finish an MFA login), [code]timeoutMs[/code] (this call's deadline),\n\
         ## [code]files[/code] (file parts: see [code]pb.call_operation()[/code]).\n\
         \n\
         ## The collection these calls go to.\n\
         var collection_name: String\n\
         \n\
         var _client = null  # bosbase.gd; untyped to avoid a preload cycle\n",
    );
    for op in ops.iter().filter(|o| o.on_collection()) {
        s.push_str("\n\n");
        s.push_str(&method(op, "", Some("collection_name")));
    }
    s
}

/// `## first second` on one line, or on two when one would pass gdlint's line length.
fn doc2(first: &str, second: &str) -> String {
    let one = format!("## {first} {second}");
    if width(&one) <= LINE {
        format!("{one}\n")
    } else {
        format!("## {first}\n## {second}\n")
    }
}

fn client(ops: &[Op]) -> String {
    // One service per group: more lines than gdlint's default of 1000. gdlint reports that
    // on line 1, so its switch sits on line 1, after the header (as in record_operations_gen.gd).
    let mut s = format!("{MARK_HASH}  # gdlint: disable=max-file-lines\n");
    s.push_str(&elsewhere(ops, true, "record_operations_gen.gd"));
    s.push_str(
        "extends RefCounted\n\
         ## The operation groups of the core's operation table other than records, generated: the\n\
         ## base class of [code]bosbase.gd[/code]. Each group is a service returned by a method\n\
         ## ([code]await pb.health().check()[/code]); each of its methods runs its row through\n\
         ## [code]pb.call_operation()[/code] and returns a [Signal] to [code]await[/code] at once.\n",
    );
    let groups = groups(ops);
    for g in &groups {
        let class = format!("{}Service", pascal(g));
        let example = format!(
            "e.g. [code]await pb.{}().{}()[/code].",
            snake(g),
            ops.iter().find(|o| !o.on_collection() && &o.group == g).map(method_name).unwrap_or_default(),
        );
        s.push_str(&format!(
            "\n\n{}func {}() -> {class}:\n\treturn {class}.new(self)\n",
            doc2(&format!("The [code]{g}.*[/code] operations,"), &example),
            snake(g),
        ));
    }
    for g in &groups {
        let class = format!("{}Service", pascal(g));
        s.push_str(&format!(
            "\n\n{}class {class}:\n\textends RefCounted\n\n\tvar _client = null  # bosbase.gd\n\n\tfunc _init(client: RefCounted) -> void:\n\t\t_client = client\n",
            doc2(&format!("The [code]{g}.*[/code] operations of one client:"), &format!("[code]pb.{}()[/code].", snake(g))),
        ));
        for op in ops.iter().filter(|o| !o.on_collection() && &o.group == g) {
            s.push('\n');
            s.push_str(&method(op, "\t", None));
        }
    }
    s
}

/// Generated files: (path relative to the repository root, contents).
pub fn outputs(ops: &[Op]) -> Vec<(&'static str, String)> {
    vec![(RECORDS_PATH, records(ops)), (CLIENT_PATH, client(ops))]
}

/// How the README's operation table names `op` in this language.
pub fn readme_name(op: &Op) -> Option<String> {
    let mut args: Vec<String> = op.params().iter().map(|a| ident(&a.name)).collect();
    args.push("…".to_owned());
    let call = format!("{}({})", method_name(op), args.join(", "));
    Some(match op.on_collection() {
        true => format!("`pb.collection(c).{call}`"),
        false => format!("`pb.{}().{call}`", snake(&op.group)),
    })
}
