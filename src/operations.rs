//! The operation table: the single source of truth for the SDK surface. One row per
//! operation; one executor ([`BosBase::operation`](crate::BosBase::operation)) runs any row through the client's request, auth, error and MFA
//! code. The C ABI's `bosbase_call` runs rows by name, `bosbase_operations_json` exports
//! the table, and the bindings' per-operation wrappers are generated from that export.
//!
//! Adding a REST operation is one row here plus its tests (see the README).

use serde_json::{json, Map, Value};

use crate::call::Ticket;
use crate::{url, BosBase, Error, ErrorKind, Result, SendOptions};

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
}

/// The JSON type an argument must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgType {
    /// A JSON string (non-empty when it goes in the path).
    String,
    /// A JSON integer.
    Integer,
}

/// What a successful call does to the auth store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// Nothing.
    None,
    /// Saves the answer's `token` and `record` (an answer without both is a `json` error).
    SaveAuth,
}

/// What a successful call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape {
    /// The server's JSON answer (`null` for an empty body).
    Json,
    /// `true` (the answer's body is not used).
    True,
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
    /// One-line documentation, copied into every generated wrapper.
    pub doc: &'static str,
}

const fn arg(name: &'static str, place: Place) -> Arg {
    Arg { name, place, ty: ArgType::String, default: None }
}

const fn int(name: &'static str, default: &'static str) -> Arg {
    Arg { name, place: Place::Query, ty: ArgType::Integer, default: Some(default) }
}

const COLLECTION: Arg = arg("collection", Place::Path);

/// Every operation of the SDK.
pub static OPERATIONS: &[Operation] = &[
    Operation {
        name: "health.check",
        method: "GET",
        path: "/api/health",
        args: &[],
        effect: Effect::None,
        result: Shape::Json,
        doc: "Checks that the server is up; returns `{code, message, data}`.",
    },
    Operation {
        name: "collections.getList",
        method: "GET",
        path: "/api/collections",
        args: &[int("page", "1"), int("perPage", "30")],
        effect: Effect::None,
        result: Shape::Json,
        doc: "Lists collections a page at a time (superusers only); returns `{page, perPage, totalItems, totalPages, items}`.",
    },
    Operation {
        name: "records.bindCustomToken",
        method: "POST",
        path: "/api/collections/{collection}/bind-token",
        args: &[COLLECTION, arg("email", Place::Body), arg("password", Place::Body), arg("token", Place::Body)],
        effect: Effect::None,
        result: Shape::True,
        doc: "Binds a custom token to the account with this email and password; never changes the auth store.",
    },
    Operation {
        name: "records.unbindCustomToken",
        method: "POST",
        path: "/api/collections/{collection}/unbind-token",
        args: &[COLLECTION, arg("email", Place::Body), arg("password", Place::Body), arg("token", Place::Body)],
        effect: Effect::None,
        result: Shape::True,
        doc: "Stops accepting a custom token for the account (also when it was not bound); never changes the auth store.",
    },
    Operation {
        name: "records.authWithToken",
        method: "POST",
        path: "/api/collections/{collection}/auth-with-token",
        args: &[COLLECTION, arg("token", Place::Body)],
        effect: Effect::SaveAuth,
        result: Shape::Json,
        doc: "Signs in with a bound custom token and saves `{token, record}` in the auth store.",
    },
    Operation {
        name: "records.authWithPassword",
        method: "POST",
        path: "/api/collections/{collection}/auth-with-password",
        args: &[COLLECTION, arg("identity", Place::Body), arg("password", Place::Body)],
        effect: Effect::SaveAuth,
        result: Shape::Json,
        doc: "Signs in with identity (email) and password and saves `{token, record}` in the auth store.",
    },
    Operation {
        name: "records.authRefresh",
        method: "POST",
        path: "/api/collections/{collection}/auth-refresh",
        args: &[COLLECTION],
        effect: Effect::SaveAuth,
        result: Shape::Json,
        doc: "Refreshes the stored token (sent as Authorization) and saves the answer in the auth store.",
    },
];

/// The row named `name`.
pub fn find(name: &str) -> Result<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|op| op.name == name)
        .ok_or_else(|| Error::invalid_argument("unknown operation (see bosbase_operations_json)"))
}

/// The table as JSON: `[{name, method, path, args: [{name, in, type, required, default}], effect, result, doc}]`.
pub fn to_json() -> Value {
    let ops: Vec<Value> = OPERATIONS
        .iter()
        .map(|op| {
            let args: Vec<Value> = op
                .args
                .iter()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "in": match a.place { Place::Path => "path", Place::Query => "query", Place::Body => "body" },
                        "type": match a.ty { ArgType::String => "string", ArgType::Integer => "integer" },
                        "required": a.default.is_none(),
                        "default": a.default.map(|d| serde_json::from_str::<Value>(d).unwrap_or(Value::Null)),
                    })
                })
                .collect();
            json!({
                "name": op.name,
                "method": op.method,
                "path": op.path,
                "args": args,
                "effect": match op.effect { Effect::None => "none", Effect::SaveAuth => "saveAuth" },
                "result": match op.result { Shape::Json => "json", Shape::True => "true" },
                "doc": op.doc,
            })
        })
        .collect();
    Value::Array(ops)
}

/// Runs `op` with named `args` and the caller's `options`. Errors name arguments, never their values.
pub(crate) fn run(
    client: &BosBase,
    op: &Operation,
    mut args: Map<String, Value>,
    mut options: SendOptions,
    ticket: &Ticket,
) -> Result<Value> {
    if let Some(unknown) = args.keys().find(|k| !op.args.iter().any(|a| a.name == k.as_str())) {
        return Err(Error::invalid_argument(format!("{}: unknown argument `{unknown}`", op.name)));
    }
    let mut path = op.path.to_owned();
    let mut body = Map::new();
    for a in op.args {
        let value = match args.remove(a.name) {
            Some(Value::Null) | None => match a.default {
                Some(d) => serde_json::from_str(d).map_err(|_| Error::panic())?,
                None => return Err(Error::invalid_argument(format!("{}: missing argument `{}`", op.name, a.name))),
            },
            Some(v) => v,
        };
        let ok = match a.ty {
            ArgType::String => value.as_str().is_some_and(|s| a.place != Place::Path || !s.is_empty()),
            ArgType::Integer => value.is_i64() || value.is_u64(),
        };
        if !ok {
            let want = match (a.ty, a.place) {
                (ArgType::String, Place::Path) => "a non-empty string",
                (ArgType::String, _) => "a string",
                (ArgType::Integer, _) => "an integer",
            };
            return Err(Error::invalid_argument(format!("{}: argument `{}` must be {want}", op.name, a.name)));
        }
        match a.place {
            Place::Path => path = path.replace(&format!("{{{}}}", a.name), &url::segment(value.as_str().unwrap_or(""))),
            Place::Query => {
                options.query.insert(a.name.to_owned(), value);
            }
            Place::Body => {
                body.insert(a.name.to_owned(), value);
            }
        }
    }
    let answer = client.execute(&path, options.merged(op.method, body)?)?;
    if op.effect == Effect::SaveAuth {
        let url = format!("{}{path}", client.base_url());
        let (Some(token), Some(record @ Value::Object(_))) =
            (answer.get("token").and_then(Value::as_str), answer.get("record"))
        else {
            return Err(Error::new(ErrorKind::Json, &url, "auth response without `token` and `record`"));
        };
        // A cancel that came first wins: the login is not saved.
        if !ticket.commit() {
            return Err(Error::new(ErrorKind::Cancelled, &url, "the call was cancelled"));
        }
        client.auth_store().save(token, record.clone());
    }
    Ok(match op.result {
        Shape::Json => answer,
        Shape::True => Value::Bool(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_templates_match_their_path_args() {
        for (i, op) in OPERATIONS.iter().enumerate() {
            assert!(OPERATIONS[..i].iter().all(|o| o.name != op.name), "duplicate {}", op.name);
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
        }
    }

    #[test]
    fn the_json_export_lists_every_row() {
        let json = to_json();
        assert_eq!(json.as_array().unwrap().len(), OPERATIONS.len());
        let login = json.as_array().unwrap().iter().find(|o| o["name"] == "records.authWithToken").unwrap();
        assert_eq!(login["effect"], "saveAuth");
        assert_eq!(
            login["args"][0],
            json!({"name": "collection", "in": "path", "type": "string", "required": true, "default": null})
        );
        assert!(find("no.such").is_err());
    }
}
