//! `bindings/go/operations_gen.go`: one Go method per operation, plus its `...Ctx` form.
//! Record operations are methods of `*RecordService` (`client.Collection("users")`); the
//! others of a service per group, reached by a client method (`client.Health()`).
//!
//! Signature (seed 001's shape): the required arguments, then the arguments that have a
//! default (a zero value means the default, except for a `zeroIsValue` argument, which is a
//! pointer: nil means the default, `bosbase.Ptr(0)` sends 0), then `body, query
//! map[string]any, headers map[string]string`, then, for the rows that take files, `files
//! ...File` (file parts, sent as multipart). `XCtx(ctx, ...)` takes a `context.Context`
//! first and cancels the call through `bosbase_call_cancel` when ctx is done. Results:
//! `bool` for operations that answer `true`, `map[string]any` for JSON, `[]any` for
//! lists, `string`, `int64`; the rows that fork (a login for another account) return a new
//! `*Client` signed in with it. Every method is one call of the
//! binding's hand-written primitive (`runOp`/`runClient` in call.go) with the row's name.
//! The output is gofmt-clean (`make go-test` checks it).

use super::{groups, pascal, unreserved, Arg, Op, MARK_SLASH};

const PATH: &str = "bindings/go/operations_gen.go";

/// Go's keywords and predeclared names, plus the names the generated methods use
/// themselves; an argument with one of these names gets the shared rule's `_` suffix.
const RESERVED: &[&str] = &[
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
    "any",
    "bool",
    "byte",
    "error",
    "int",
    "len",
    "nil",
    "string",
    "true",
    "false",
    "s",
    "c",
    "ctx",
    "body",
    "query",
    "headers",
    "context",
    "files",
];

/// The Go parameter name of an argument (the table's names are camelCase already).
pub fn ident(name: &str) -> String {
    let mut id: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, 'a');
    }
    unreserved(id, RESERVED)
}

/// The Go type of an argument: a pointer for a `zeroIsValue` argument with a default (Go has
/// no "unset", and its zero value is not the default), else the plain type.
fn arg_type(a: &Arg) -> String {
    match a.zero_is_value && a.default.is_some() {
        true => format!("*{}", go_type(&a.ty)),
        false => go_type(&a.ty).to_owned(),
    }
}

fn go_type(ty: &str) -> &'static str {
    match ty {
        "string" => "string",
        "integer" => "int",
        "boolean" => "bool",
        "object" => "map[string]any",
        "array" => "[]any",
        "any" => "any",
        _ => "any",
    }
}

/// (result type, primitive) for a result shape.
fn result(op: &Op) -> (&'static str, String) {
    if op.forks {
        return ("*Client", "runClient".to_owned());
    }
    let ty = match op.result.as_str() {
        "true" => "bool",
        "json" => "map[string]any",
        "list" => "[]any",
        "string" => "string",
        "integer" => "int64",
        _ => "any",
    };
    (ty, format!("runOp[{ty}]"))
}

/// True for the rows that take file parts (the table's `files`).
fn takes_files(op: &Op) -> bool {
    op.files
}

/// The parameter list: required arguments, then those with a default (consecutive
/// parameters of one type share it, as gofmt'd Go writes them), then the options.
pub fn ordered(op: &Op) -> Vec<&Arg> {
    let params = op.params();
    let (required, defaulted): (Vec<&Arg>, Vec<&Arg>) = params.into_iter().partition(|a| a.default.is_none());
    [required, defaulted].concat()
}

fn param_list(op: &Op) -> String {
    let mut parts: Vec<(Vec<String>, String)> = Vec::new();
    for a in ordered(op) {
        let ty = arg_type(a);
        match parts.last_mut() {
            Some((names, t)) if *t == ty => names.push(ident(&a.name)),
            _ => parts.push((vec![ident(&a.name)], ty)),
        }
    }
    parts.push((vec!["body".to_owned(), "query".to_owned()], "map[string]any".to_owned()));
    parts.push((vec!["headers".to_owned()], "map[string]string".to_owned()));
    if takes_files(op) {
        parts.push((vec!["files".to_owned()], "...File".to_owned()));
    }
    parts.iter().map(|(names, ty)| format!("{} {ty}", names.join(", "))).collect::<Vec<_>>().join(", ")
}

fn arg_names(op: &Op) -> String {
    let mut names: Vec<String> = ordered(op).iter().map(|a| ident(&a.name)).collect();
    names.extend(["body", "query", "headers"].map(str::to_owned));
    if takes_files(op) {
        names.push("files...".to_owned());
    }
    names.join(", ")
}

/// The named-arguments map the primitive gets.
fn args_map(op: &Op) -> String {
    let mut entries: Vec<String> = Vec::new();
    if op.on_collection() {
        entries.push("\"collection\": s.name".to_owned());
    }
    for a in op.params() {
        // A nil map, slice or pointer is JSON null already; comparable zero values need orDefault.
        let value = match a.default {
            Some(_) if !a.zero_is_value && !matches!(a.ty.as_str(), "object" | "array" | "any") => {
                format!("orDefault({})", ident(&a.name))
            }
            _ => ident(&a.name),
        };
        entries.push(format!("\"{}\": {value}", a.name));
    }
    match entries.is_empty() {
        true => "nil".to_owned(),
        false => format!("map[string]any{{{}}}", entries.join(", ")),
    }
}

/// `text` as `//` comment lines of at most about 96 columns.
fn comment(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            if !line.is_empty() && line.len() + word.len() + 1 > 92 {
                out.push_str(&format!("{indent}// {line}\n"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        match line.is_empty() {
            true => out.push_str(&format!("{indent}//\n")),
            false => out.push_str(&format!("{indent}// {line}\n")),
        }
    }
    out.replace('\u{a0}', " ")
}

/// The row's doc as a Go doc sentence that starts with the method's name
/// ("Checks that…" → "Check checks that…").
fn doc_sentence(name: &str, doc: &str) -> String {
    let mut chars = doc.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_ascii_uppercase() && !second.is_ascii_uppercase() => {
            format!("{name} {}{}", first.to_ascii_lowercase(), &doc[1..])
        }
        _ => format!("{name}: {doc}"),
    }
}

fn defaults_note(op: &Op) -> Option<String> {
    let with = |zero: bool| -> Vec<String> {
        ordered(op)
            .iter()
            .filter(|a| a.zero_is_value == zero)
            .filter_map(|a| a.default.as_ref().map(|d| format!("{} {d}", ident(&a.name))))
            .collect()
    };
    let (plain, pointers) = (with(false), with(true));
    let mut notes = Vec::new();
    if !plain.is_empty() {
        notes.push(format!("A zero value of an argument with a default means that default ({}).", plain.join(", ")));
    }
    if !pointers.is_empty() {
        notes.push(format!(
            "A nil pointer means the default ({}); its zero value is a value of its own (Ptr(0)).",
            pointers.join(", ")
        ));
    }
    (!notes.is_empty()).then(|| notes.join(" "))
}

fn method(op: &Op, receiver: &str, client: &str) -> String {
    let name = pascal(&op.method);
    let (ret, run) = result(op);
    // A no-break space keeps "(POST /api/...)" on one comment line; `comment` restores it.
    let http =
        bosbase::operations::find(&op.name).map(|o| format!(" ({}\u{a0}{})", o.method, o.path)).unwrap_or_default();
    let mut doc = format!("{}\n\nOperation \"{}\"{http}.", doc_sentence(&name, &op.doc), op.name);
    if let Some(note) = defaults_note(op) {
        doc.push(' ');
        doc.push_str(&note);
    }
    if op.forks {
        doc.push_str(" It returns a new client signed in with that login (this client's settings and connections, an auth store of its own; Close it when done), and leaves this client's auth store as it was.");
    }
    if takes_files(op) {
        doc.push_str(" File parts (FileBytes, FilePath, FileReader) are sent as multipart/form-data with the other body fields as `@jsonPayload`.");
    }
    doc.push_str(&format!(" It blocks until the answer or the call's deadline; {name}Ctx can be cancelled."));
    let params = param_list(op);
    let mut s = comment(&doc, "");
    s.push_str(&format!(
        "func ({receiver}) {name}({params}) ({ret}, error) {{\n\treturn s.{name}Ctx(context.Background(), {})\n}}\n\n",
        arg_names(op)
    ));
    s.push_str(&comment(
        &format!(
            "{name}Ctx is {name} under ctx: when ctx is done before the call finishes, the call is cancelled and the error is a *ClientResponseError of Kind \"cancelled\" that matches errors.Is(err, ctx.Err()) (see Client.CallCtx).{}",
            if op.effect == "saveAuth" { " A cancelled login is not saved, whatever the server answers." } else { "" }
        ),
        "",
    ));
    s.push_str(&format!(
        "func ({receiver}) {name}Ctx(ctx context.Context, {params}) ({ret}, error) {{\n\treturn {run}(ctx, {client}, \"{}\", {}, body, query, headers, {})\n}}\n\n",
        op.name,
        args_map(op),
        if takes_files(op) { "files" } else { "nil" }
    ));
    s
}

fn generate(ops: &[Op]) -> String {
    let mut s = format!("{MARK_SLASH}\n\n")
        + "\
         // The operations of the core's table (src/operations.rs), one method each plus its\n\
         // ...Ctx form, all running through the generic call in call.go. Run `make generate`\n\
         // after changing the table or tools/generate/go.rs.\n\n\
         package bosbase\n\nimport \"context\"\n\n";
    s.push_str(&comment(
        "Ptr returns a pointer to v, for an optional argument whose zero value is a value of its own (nil means the row's default): Caches().RenewEntry(cache, key, Ptr(0), nil, nil, nil) sends ttlSeconds 0.",
        "",
    ));
    s.push_str("func Ptr[T any](v T) *T {\n\treturn &v\n}\n\n");
    for g in groups(ops) {
        let service = format!("{}Service", pascal(&g));
        s.push_str(&comment(
            &format!("{service} runs the \"{g}.*\" operations; get it with Client.{}.", pascal(&g)),
            "",
        ));
        s.push_str(&format!("type {service} struct {{\n\tclient *Client\n}}\n\n"));
        s.push_str(&comment(&format!("{} returns the service of the \"{g}.*\" operations.", pascal(&g)), ""));
        s.push_str(&format!(
            "func (c *Client) {}() *{service} {{\n\treturn &{service}{{client: c}}\n}}\n\n",
            pascal(&g)
        ));
        for op in ops.iter().filter(|o| !o.on_collection() && o.group == g) {
            s.push_str(&method(op, &format!("s *{service}"), "s.client"));
        }
    }
    for op in ops.iter().filter(|o| o.on_collection()) {
        s.push_str(&method(op, "s *RecordService", "s.client"));
    }
    s.truncate(s.trim_end().len());
    s.push('\n');
    s
}

/// Generated files: (path relative to the repository root, contents).
pub fn outputs(ops: &[Op]) -> Vec<(&'static str, String)> {
    vec![(PATH, generate(ops))]
}

/// How the README's operation table names `op` in this language, once generated.
pub fn readme_name(op: &Op) -> Option<String> {
    let mut params: Vec<String> = ordered(op).iter().map(|a| ident(&a.name)).collect();
    params.push("…".to_owned());
    let call = format!("{}({})", pascal(&op.method), params.join(", "));
    Some(match op.on_collection() {
        true => format!("`client.Collection(c).{call}`"),
        false => format!("`client.{}().{call}`", pascal(&op.group)),
    })
}
