//! The operation table: the single source of truth for the SDK surface. One row per
//! operation; one executor ([`BosBase::operation`](crate::BosBase::operation)) runs any row
//! through the client's request, auth, error and MFA code. The C ABI's `bosbase_call` runs
//! rows by name, `bosbase_operations_json` exports the table, and the bindings'
//! per-operation wrappers are generated from that export.
//!
//! Rows live in one file per area (`records.rs`, `admin.rs`, `bosbase.rs`); [`all`] walks them in order.
//! Adding a REST operation is one row plus its tests (see the README).

mod admin;
mod bosbase;
mod full_list;
pub mod kinds;
mod records;
mod run;
mod typed;

use serde_json::{json, Value};

use crate::{Error, Result};

pub use full_list::FULL_LIST_ANSWERS;
pub(crate) use run::{run, run_text};
pub(crate) use typed::typed;
pub use typed::Typed;

/// Where an argument goes in the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// Substituted, percent-escaped, for `{name}` in the path template.
    Path,
    /// A query parameter.
    Query,
    /// A field of the JSON body (typed arguments win over the same field in `options.body`).
    Body,
    /// A JSON object whose fields become body fields (a record's data); named fields and
    /// `options.body` fields of the same name lose to it.
    Fields,
    /// Read by the row's executor itself (e.g. `getFullList`'s batch size), never sent as is.
    Local,
}

/// The JSON type an argument must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgType {
    /// A JSON string (non-empty when it goes in the path).
    String,
    /// A JSON integer.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// Any JSON value.
    Any,
}

/// What a successful call does to the auth store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// Nothing.
    None,
    /// Saves the answer's `token` and `record` (an answer without both is a `json` error).
    SaveAuth,
    /// When the answer is the stored auth record (same `id` and collection), stores it.
    SyncAuthRecord,
    /// When the `id` argument is the stored auth record of `collection`, clears the store.
    ClearAuthRecord,
    /// When the `token` argument verifies the stored auth record, marks it `verified`.
    MarkVerified,
    /// When the `token` argument changes the stored auth record's email, clears the store
    /// (its token is no longer valid).
    ClearOnEmailChange,
}

/// What a successful call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// The server's JSON object (`null` for an empty body).
    Json,
    /// A JSON array.
    List,
    /// A string (a URL, a token).
    Text,
    /// An integer.
    Integer,
    /// `true` (the answer's body is not used).
    True,
}

/// How a row is carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exec {
    /// One request built from the row.
    Request,
    /// Pages through the list at `path` (`batch` items per request) until a short page;
    /// returns every item.
    FullList,
    /// The first item of the list at `path` matching `filter`; a `404` error when none.
    FirstListItem,
    /// No request: the row's URL (path and query arguments) with the client's base.
    Url,
    /// No request: a file's URL from a `record` object and a `filename`.
    FileUrl,
    /// A request whose answer's `token` field is the result.
    TokenField,
    /// The answer's `count` field.
    Count,
    /// The answer's `items` field (a list answered as `{items: [...]}`).
    Items,
    /// `/api/batch` from high-level `requests` (`{action, collection, id, data}`).
    Batch,
    /// A pub/sub `publish` over the client's WebSocket, answered by the server's acknowledgement.
    Publish,
}

/// One argument of an operation, in the order bindings take them positionally.
#[derive(Debug)]
#[non_exhaustive]
pub struct Arg {
    /// Name in `args_json` and in generated wrappers.
    pub name: &'static str,
    /// Where it goes.
    pub place: Place,
    /// Its JSON type.
    pub ty: ArgType,
    /// JSON text of the value used when the caller leaves it out; `None` means required.
    pub default: Option<&'static str>,
    /// The type's zero value (`0`, `""`, `false`) is a value of its own here, not another way
    /// of saying "the default" (`caches.renewEntry`'s `ttlSeconds`: default `-1`, `0` = no
    /// expiry). Generators for a language without "unset" parameters (Go) take such an
    /// argument as an optional (a pointer: nil = the default) instead of mapping zero to it.
    pub zero_is_value: bool,
}

impl Arg {
    const fn new(name: &'static str, place: Place, ty: ArgType) -> Self {
        Arg { name, place, ty, default: None, zero_is_value: false }
    }

    /// A required path argument.
    const fn path(name: &'static str) -> Self {
        Arg::new(name, Place::Path, ArgType::String)
    }

    /// A required string body field.
    const fn body(name: &'static str) -> Self {
        Arg::new(name, Place::Body, ArgType::String)
    }

    /// The record-data object (`Fields`).
    const fn data(default: Option<&'static str>) -> Self {
        Arg { name: "data", place: Place::Fields, ty: ArgType::Object, default, zero_is_value: false }
    }

    /// An integer query argument with a default.
    const fn query_int(name: &'static str, default: &'static str) -> Self {
        Arg { name, place: Place::Query, ty: ArgType::Integer, default: Some(default), zero_is_value: false }
    }

    const fn of(self, ty: ArgType) -> Self {
        Arg { ty, ..self }
    }

    const fn or(self, default: &'static str) -> Self {
        Arg { default: Some(default), ..self }
    }

    /// Marks the type's zero value as a value of its own (see [`Arg::zero_is_value`]).
    const fn zero_is_value(self) -> Self {
        Arg { zero_is_value: true, ..self }
    }
}

/// One row of the table.
#[derive(Debug)]
#[non_exhaustive]
pub struct Operation {
    /// Stable name, `group.method` as in the JS SDK (`records.authWithToken`).
    pub name: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path template; `{arg}` is replaced by the escaped argument.
    pub path: &'static str,
    /// Arguments, in positional order.
    pub args: &'static [Arg],
    /// Auth-store effect of a successful call.
    pub effect: Effect,
    /// Result shape.
    pub result: Shape,
    /// How the row runs.
    pub exec: Exec,
    /// The call takes file parts (sent as `multipart/form-data`); a call of any other row
    /// with file parts is refused with `invalid_argument` before any request.
    pub files: bool,
    /// The typed APIs return a new client signed in with the result (a `{token, record}`
    /// login, e.g. `records.impersonate`) made with `fork`, instead of the result itself.
    /// The generic call still returns the login and applies no auth-store effect.
    pub forks: bool,
    /// One-line documentation, copied into every generated wrapper.
    pub doc: &'static str,
}

/// The defaults rows start from (`..ROW`).
const ROW: Operation = Operation {
    name: "",
    method: "GET",
    path: "",
    args: &[],
    effect: Effect::None,
    result: Shape::Json,
    exec: Exec::Request,
    files: false,
    forks: false,
    doc: "",
};

const COLLECTION: Arg = Arg::path("collection");

/// The row files, in table order.
const AREAS: [&[Operation]; 3] = [records::OPERATIONS, admin::OPERATIONS, bosbase::OPERATIONS];

/// Every operation of the SDK, in table order.
pub fn all() -> impl Iterator<Item = &'static Operation> {
    AREAS.iter().flat_map(|rows| rows.iter())
}

/// The row named `name`.
pub fn find(name: &str) -> Result<&'static Operation> {
    all()
        .find(|op| op.name == name)
        .ok_or_else(|| Error::invalid_argument("unknown operation (see bosbase_operations_json)"))
}

fn place_name(p: Place) -> &'static str {
    match p {
        Place::Path => "path",
        Place::Query => "query",
        Place::Body => "body",
        Place::Fields => "fields",
        Place::Local => "local",
    }
}

fn type_name(t: ArgType) -> &'static str {
    match t {
        ArgType::String => "string",
        ArgType::Integer => "integer",
        ArgType::Boolean => "boolean",
        ArgType::Object => "object",
        ArgType::Array => "array",
        ArgType::Any => "any",
    }
}

fn effect_name(e: Effect) -> &'static str {
    match e {
        Effect::None => "none",
        Effect::SaveAuth => "saveAuth",
        Effect::SyncAuthRecord => "syncAuthRecord",
        Effect::ClearAuthRecord => "clearAuthRecord",
        Effect::MarkVerified => "markVerified",
        Effect::ClearOnEmailChange => "clearOnEmailChange",
    }
}

fn shape_name(s: Shape) -> &'static str {
    match s {
        Shape::Json => "json",
        Shape::List => "list",
        Shape::Text => "string",
        Shape::Integer => "integer",
        Shape::True => "true",
    }
}

/// The table as JSON: `[{name, method, path, args: [{name, in, type, required, default,
/// zeroIsValue}], effect, result, local, files, forks, doc}]`. `in` is
/// `path|query|body|fields|local`; `type` `string|integer|boolean|object|array|any`; `result`
/// `json|list|string|integer|true`; `local` is true for rows that build a URL without a
/// request; `files` for rows that take file parts; `forks` for rows whose typed result is a
/// new client signed in with the (login) result; `zeroIsValue` for arguments whose type's zero
/// value is not their default (an argument's `zero_is_value`).
pub fn to_json() -> Value {
    let ops: Vec<Value> = all()
        .map(|op| {
            let args: Vec<Value> = op
                .args
                .iter()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "in": place_name(a.place),
                        "type": type_name(a.ty),
                        "required": a.default.is_none(),
                        "default": a.default.map(|d| serde_json::from_str::<Value>(d).unwrap_or(Value::Null)),
                        "zeroIsValue": a.zero_is_value,
                    })
                })
                .collect();
            json!({
                "name": op.name,
                "method": op.method,
                "path": op.path,
                "args": args,
                "effect": effect_name(op.effect),
                "result": shape_name(op.result),
                "local": matches!(op.exec, Exec::Url | Exec::FileUrl),
                "files": op.files,
                "forks": op.forks,
                "doc": op.doc,
            })
        })
        .collect();
    Value::Array(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_templates_match_their_path_args() {
        let ops: Vec<&Operation> = all().collect();
        for (i, op) in ops.iter().enumerate() {
            assert!(ops[..i].iter().all(|o| o.name != op.name), "duplicate {}", op.name);
            for a in op.args {
                assert_eq!(
                    op.path.contains(&format!("{{{}}}", a.name)),
                    a.place == Place::Path,
                    "{} {}",
                    op.name,
                    a.name
                );
                if let Some(d) = a.default {
                    assert!(serde_json::from_str::<Value>(d).is_ok(), "{} default", op.name);
                }
            }
            assert!(!op.doc.is_empty() && op.name.contains('.'));
            // A string path argument may not be empty, so it has no default.
            assert!(op.args.iter().all(|a| a.place != Place::Path || a.default.is_none()), "{}", op.name);
            // File parts go with one request that has a body; a fork's result is a login.
            assert!(!op.files || (op.exec == Exec::Request && op.method != "GET"), "{} files", op.name);
            assert!(!op.forks || op.result == Shape::Json, "{} forks", op.name);
            // zeroIsValue only means something beside a default that is not the zero value.
            for a in op.args.iter().filter(|a| a.zero_is_value) {
                let zero = matches!(a.default, Some("0" | "\"\"" | "false" | "{}" | "[]") | None);
                assert!(!zero, "{} {}: zeroIsValue needs a non-zero default", op.name, a.name);
            }
        }
    }

    #[test]
    fn the_json_export_lists_every_row() {
        let json = to_json();
        assert_eq!(json.as_array().unwrap().len(), all().count());
        let login = json.as_array().unwrap().iter().find(|o| o["name"] == "records.authWithToken").unwrap();
        assert_eq!(login["effect"], "saveAuth");
        assert_eq!(
            login["args"][0],
            json!({"name": "collection", "in": "path", "type": "string", "required": true, "default": null, "zeroIsValue": false})
        );
        assert!(find("no.such").is_err());
    }
}
