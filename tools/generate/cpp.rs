//! `include/bosbase_operations_gen.hpp`: the C++ wrapper's service classes, one method per
//! operation, each a call of `detail::call` (in bosbase.hpp) with the row's name.

use super::{groups, pascal, snake, unreserved, Op, MARK_SLASH};

/// C++ keywords an operation or argument name may hit (`records.delete`, `template`).
const KEYWORDS: &str = concat!(
    "and auto bool break case catch char class const continue default delete do double else enum ",
    "explicit export extern false float for friend goto if inline int long mutable namespace new not ",
    "operator or private protected public register return short signed sizeof static struct switch ",
    "template this throw true try typedef typename union unsigned using virtual void volatile while ",
    "xor ",
    // Names the generated methods use themselves.
    "options_json client_ name_ detail",
);

/// `snake`, by the shared rule for reserved names (`delete` → `delete_`).
pub fn ident(name: &str) -> String {
    let reserved: Vec<&str> = KEYWORDS.split_whitespace().collect();
    unreserved(snake(name), &reserved)
}

fn cpp_param(ty: &str, name: &str, default: Option<&serde_json::Value>) -> String {
    let name = ident(name);
    match (ty, default) {
        ("integer", Some(d)) => format!("long long {name} = {d}"),
        ("integer", None) => format!("long long {name}"),
        ("boolean", Some(d)) => format!("bool {name} = {d}"),
        ("boolean", None) => format!("bool {name}"),
        // Objects and arrays are JSON text, passed through as they are.
        ("object" | "array" | "any", Some(d)) => format!("const std::string &{name}_json = \"{d}\""),
        ("object" | "array" | "any", None) => format!("const std::string &{name}_json"),
        (_, Some(d)) => format!("const std::string &{name} = {d}"),
        (_, None) => format!("const std::string &{name}"),
    }
}

fn cpp_value(ty: &str, name: &str) -> String {
    match ty {
        "integer" => format!("std::to_string({})", ident(name)),
        "boolean" => format!("std::string({} ? \"true\" : \"false\")", ident(name)),
        "object" | "array" | "any" => format!("{}_json", ident(name)),
        _ => format!("detail::json_string({})", ident(name)),
    }
}

fn method(op: &Op, collection: bool) -> String {
    let params: Vec<String> = op.params().iter().map(|a| cpp_param(&a.ty, &a.name, a.default.as_ref())).collect();
    let mut args: Vec<String> = Vec::new();
    if collection {
        args.push("{\"collection\", detail::json_string(name_)}".to_owned());
    }
    args.extend(op.params().iter().map(|a| format!("{{\"{}\", {}}}", a.name, cpp_value(&a.ty, &a.name))));
    // The typed result: a new client (a template, so that `Client`, defined after this file,
    // is complete where it is used), bool, long long, a decoded string, or JSON text.
    let (template, ret, open, close) = match op.result.as_str() {
        _ if op.forks => ("template <class C = Client>\n    ", "C", "C::fork_of(client_, ", ")"),
        "true" => ("", "bool", "", " == \"true\""),
        "integer" => ("", "long long", "detail::json_integer(", ")"),
        "string" => ("", "std::string", "detail::json_unquote(", ")"),
        _ => ("", "std::string", "", ""),
    };
    let params = params.iter().map(|p| format!("{p}, ")).collect::<String>();
    format!(
        "    /// {} (`{}`)\n    {template}{ret} {}({params}const std::string &options_json = \"\") const {{\n        return {open}detail::call(client_, \"{}\", detail::args({{{}}}), options_json){close};\n    }}\n",
        op.doc,
        op.name,
        ident(&op.method),
        op.name,
        args.join(", ")
    )
}

pub fn generate(ops: &[Op]) -> String {
    let mut s = format!("{MARK_SLASH}\n")
        + "// From the core's operation table: change the table or tools/generate, then `make generate`.\n\
         // Included by bosbase.hpp: service classes with one method per operation. A service is a\n\
         // view of its Client and valid while that Client lives. Results are typed by the row:\n\
         // bool, long long, std::string (a decoded string), a new Client (rows that fork), else\n\
         // JSON text; failures throw bosbase::Error.\n\
         #ifndef BOSBASE_OPERATIONS_HPP\n#define BOSBASE_OPERATIONS_HPP\n\n\
         #include <string>\n#include <utility>\n\nnamespace bosbase {\n\nclass Client;\n\n";
    s.push_str("/// The record operations of one collection (by name or id).\nclass RecordService {\npublic:\n    RecordService(BosbaseClient *client, std::string name) : client_(client), name_(std::move(name)) {}\n\n");
    for op in ops.iter().filter(|o| o.on_collection()) {
        s.push_str(&method(op, true));
    }
    s.push_str("\nprivate:\n    BosbaseClient *client_;\n    std::string name_;\n};\n");
    let groups = groups(ops);
    for g in &groups {
        s.push_str(&format!(
            "\n/// The `{g}.*` operations.\nclass {}Service {{\npublic:\n    explicit {}Service(BosbaseClient *client) : client_(client) {{}}\n\n",
            pascal(g),
            pascal(g)
        ));
        for op in ops.iter().filter(|o| !o.on_collection() && &o.group == g) {
            s.push_str(&method(op, false));
        }
        s.push_str("\nprivate:\n    BosbaseClient *client_;\n};\n");
    }
    s.push_str("\n/// The services of a client; `Client` derives from it (CRTP: `Self::get()` is the handle).\ntemplate <class Self>\nclass Services {\npublic:\n    RecordService collection(std::string name) const { return RecordService(self().get(), std::move(name)); }\n");
    for g in &groups {
        s.push_str(&format!(
            "    {}Service {}() const {{ return {}Service(self().get()); }}\n",
            pascal(g),
            snake(g),
            pascal(g)
        ));
    }
    s.push_str("\nprivate:\n    const Self &self() const { return static_cast<const Self &>(*this); }\n};\n\n}  // namespace bosbase\n\n#endif  // BOSBASE_OPERATIONS_HPP\n");
    s
}
