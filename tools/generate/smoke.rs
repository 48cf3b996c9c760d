//! The smoke test's one table of examples: for every row of the operation table, the
//! arguments of one call, the client it runs on, what must come back, and where it can run.
//! The generated smoke tests (`tests/smoke_gen.rs`, `bindings/go/smoke_gen_test.go`) call
//! every dev-server row once, in this order, through the binding's generated method and
//! check the typed result; a new row needs only its line here, no hand-written test code.
//!
//! Arguments are JSON; a string `"${op}"` or `"${op.field}"` is the result of an earlier row
//! of this run (or of `.field` in it), `${token}` a fresh custom token, `${n}` a number unique
//! to the run. Arguments left out take the row's default. `expect`: `ok` (the row's typed
//! result), or `http NNN` (the call must fail with kind `http` and that status: the wrapper,
//! the request and the typed error path are exercised, the server refuses the example).

use serde_json::{Map, Value};

use super::Op;

/// One example: (operation, client: `admin` (superuser) | `guest` (a second client; the
/// auth rows sign it in), arguments, expect).
pub type Example = (&'static str, &'static str, &'static str, &'static str);

/// Every row, in the order the smoke tests call them.
pub const EXAMPLES: &[Example] = &[
    ("health.check", "guest", "{}", "ok"),
    ("records.listAuthMethods", "guest", r#"{"collection": "users"}"#, "ok"),
    (
        "records.authWithPassword",
        "guest",
        r#"{"collection": "users", "identity": "user2@example.com", "password": "user2-password"}"#,
        "ok",
    ),
    ("records.authRefresh", "guest", r#"{"collection": "users"}"#, "ok"),
    (
        "records.bindCustomToken",
        "guest",
        r#"{"collection": "users", "email": "user2@example.com", "password": "user2-password", "token": "${token}"}"#,
        "ok",
    ),
    ("records.authWithToken", "guest", r#"{"collection": "users", "token": "${token}"}"#, "ok"),
    (
        "records.unbindCustomToken",
        "guest",
        r#"{"collection": "users", "email": "user2@example.com", "password": "user2-password", "token": "${token}"}"#,
        "ok",
    ),
    ("records.requestOTP", "guest", r#"{"collection": "mfa_users", "email": "mfa@example.com"}"#, "ok"),
    (
        "records.authWithOTP",
        "guest",
        r#"{"collection": "mfa_users", "otpId": "${records.requestOTP.otpId}", "password": "000000x"}"#,
        "http 400",
    ),
    (
        "records.authWithOAuth2Code",
        "guest",
        // _superusers: the OAuth2 tests enable OAuth2 on `users` of the same server.
        r#"{"collection": "_superusers", "provider": "google", "code": "c", "codeVerifier": "v", "redirectURL": "http://127.0.0.1/cb"}"#,
        "http 403",
    ),
    ("records.requestVerification", "guest", r#"{"collection": "users", "email": "user2@example.com"}"#, "ok"),
    ("records.confirmVerification", "guest", r#"{"collection": "users", "token": "not-a-token"}"#, "http 400"),
    ("records.requestPasswordReset", "guest", r#"{"collection": "users", "email": "user2@example.com"}"#, "ok"),
    (
        "records.confirmPasswordReset",
        "guest",
        r#"{"collection": "users", "token": "not-a-token", "password": "x1234567", "passwordConfirm": "x1234567"}"#,
        "http 400",
    ),
    ("records.requestEmailChange", "guest", r#"{"collection": "users", "newEmail": "smoke-${n}@example.com"}"#, "ok"),
    (
        "records.confirmEmailChange",
        "guest",
        r#"{"collection": "users", "token": "not-a-token", "password": "user2-password"}"#,
        "http 400",
    ),
    ("records.getList", "guest", r#"{"collection": "posts", "perPage": 5}"#, "ok"),
    (
        "records.create",
        "guest",
        r#"{"collection": "posts", "data": {"title": "smoke", "author": "${records.authWithPassword.record.id}"}}"#,
        "ok",
    ),
    ("records.getFullList", "guest", r#"{"collection": "posts", "batch": 50}"#, "ok"),
    ("records.getFirstListItem", "guest", r#"{"collection": "posts", "filter": "title = 'smoke'"}"#, "ok"),
    ("records.getOne", "guest", r#"{"collection": "posts", "id": "${records.create.id}"}"#, "ok"),
    ("records.getCount", "guest", r#"{"collection": "posts"}"#, "ok"),
    (
        "records.update",
        "guest",
        r#"{"collection": "posts", "id": "${records.create.id}", "data": {"title": "smoke 2"}}"#,
        "ok",
    ),
    ("files.getURL", "guest", r#"{"record": "${records.update}", "filename": "a b.txt"}"#, "ok"),
    ("files.getToken", "guest", "{}", "ok"),
    ("records.delete", "guest", r#"{"collection": "posts", "id": "${records.create.id}"}"#, "ok"),
    (
        "records.impersonate",
        "admin",
        r#"{"collection": "users", "id": "${records.authWithPassword.record.id}", "duration": 60}"#,
        "ok",
    ),
    // The batch API is off by default: enable it (as the other suites do), then a batch that
    // creates a post and deletes it again.
    (
        "settings.update",
        "admin",
        r#"{"data": {"batch": {"enabled": true, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}}}"#,
        "ok",
    ),
    (
        "batch.send",
        "admin",
        r#"{"requests": [
            {"action": "create", "collection": "posts",
             "data": {"id": "smokebatch00001", "title": "b", "author": "${records.authWithPassword.record.id}"}},
            {"action": "delete", "collection": "posts", "id": "smokebatch00001"}]}"#,
        "ok",
    ),
    ("collections.getList", "admin", r#"{"perPage": 2}"#, "ok"),
    ("collections.getFullList", "admin", "{}", "ok"),
    ("collections.getOne", "admin", r#"{"idOrName": "posts"}"#, "ok"),
    ("collections.getScaffolds", "admin", "{}", "ok"),
    ("collections.create", "admin", r#"{"data": {"name": "smoke_${n}", "type": "base"}}"#, "ok"),
    ("collections.update", "admin", r#"{"idOrName": "smoke_${n}", "data": {"listRule": ""}}"#, "ok"),
    ("collections.truncate", "admin", r#"{"idOrName": "smoke_${n}"}"#, "ok"),
    ("collections.import", "admin", r#"{"collections": ["${collections.update}"]}"#, "ok"),
    ("collections.delete", "admin", r#"{"idOrName": "smoke_${n}"}"#, "ok"),
    ("settings.getAll", "admin", "{}", "ok"),
    ("settings.testS3", "admin", "{}", "http 400"),
    (
        "settings.testEmail",
        "admin",
        r#"{"collection": "users", "email": "smoke@example.com", "template": "verification"}"#,
        "ok",
    ),
    (
        "settings.generateAppleClientSecret",
        "admin",
        r#"{"clientId": "c", "teamId": "t", "keyId": "k", "privateKey": "not a key", "duration": 3600}"#,
        "http 400",
    ),
    ("logs.getList", "admin", r#"{"perPage": 2}"#, "ok"),
    ("logs.getOne", "admin", r#"{"id": "no-such-log"}"#, "http 404"),
    ("logs.getStats", "admin", "{}", "ok"),
    ("crons.getFullList", "admin", "{}", "ok"),
    ("crons.run", "admin", r#"{"jobId": "__pbOTPCleanup__"}"#, "ok"),
    ("backups.getFullList", "admin", "{}", "ok"),
    ("backups.create", "admin", r#"{"name": "smoke_${n}.zip"}"#, "ok"),
    ("backups.getDownloadURL", "admin", r#"{"key": "smoke_${n}.zip", "token": "${files.getToken}"}"#, "ok"),
    ("backups.upload", "admin", "{}", "http 400"),
    ("backups.restore", "admin", r#"{"key": "no-such-backup.zip"}"#, "http 400"),
    ("backups.delete", "admin", r#"{"key": "smoke_${n}.zip"}"#, "ok"),
];

/// The rows the smoke tests do not call here, with the reason: BosBase's own services, which
/// the dev server (PocketBase) does not have. The real server runs them in `make
/// test-bosbase` through the hand-written suites (tests/bosbase_*.rs).
pub fn not_here() -> Vec<(&'static str, &'static str)> {
    let examples: Vec<&str> = EXAMPLES.iter().map(|e| e.0).collect();
    super::table()
        .iter()
        .filter(|op| !examples.contains(&op.name.as_str()))
        .map(|op| {
            let name: &'static str = Box::leak(op.name.clone().into_boxed_str());
            (name, reason(name))
        })
        .collect()
}

fn reason(op: &str) -> &'static str {
    const SERVICES: &str =
        "a BosBase service the dev server does not have: real server only (tests/bosbase_services.rs)";
    match op.split('.').next().unwrap_or_default() {
        "pubsub" => "BosBase pub/sub: real server only (tests/bosbase_pubsub.rs)",
        "redis" => "BosBase Redis keys: real server with --redis only (tests/bosbase_redis.rs)",
        "langchaingo" => "BosBase langchaingo: real server with --openai only (tests/bosbase_ai.rs)",
        "vectors" | "llmDocuments" | "caches" | "graphql" | "sql" | "scripts" | "scriptPermissions" => SERVICES,
        _ if matches!(
            op,
            "records.vectorSearch"
                | "collections.getSchema"
                | "collections.getAllSchemas"
                | "collections.registerSqlTables"
                | "collections.importSqlTables"
        ) =>
        {
            SERVICES
        }
        _ => "no example in tools/generate/smoke.rs yet",
    }
}

/// An example's arguments: its JSON with the row's default for every argument it leaves out
/// (a required argument left out is an error in the table).
pub fn arguments(op: &Op, example: &Example) -> Map<String, Value> {
    let mut args: Map<String, Value> = match serde_json::from_str::<Value>(example.2) {
        Ok(Value::Object(m)) => m,
        other => panic!("{}: example arguments are not a JSON object: {other:?}", op.name),
    };
    for a in &op.args {
        if !args.contains_key(&a.name) {
            let d = a.default.clone().unwrap_or_else(|| panic!("{}: the example lacks `{}`", op.name, a.name));
            args.insert(a.name.clone(), d);
        }
    }
    args
}

/// The HTTP status an example expects, or `None` for `ok`.
pub fn expected_status(example: &Example) -> Option<u16> {
    match example.3 {
        "ok" => None,
        e => Some(e.strip_prefix("http ").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("expect {e}"))),
    }
}

/// The (row, example) pairs in smoke order.
pub fn rows() -> Vec<(Op, &'static Example)> {
    let ops = super::table();
    EXAMPLES
        .iter()
        .map(|e| (ops.iter().find(|o| o.name == e.0).unwrap_or_else(|| panic!("no row {}", e.0)).clone(), e))
        .collect()
}

/// `tests/smoke_gen.rs`: every example row once against the dev server, through the typed
/// Rust method (the generic call for the rows whose Rust method is hand-written).
pub fn rust() -> String {
    let mut s = format!(
        "{}\n// From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n",
        super::MARK_SLASH
    );
    s.push_str(RUST_HEAD);
    let rows = rows();
    for (op, example) in &rows {
        let args = Value::Object(arguments(op, example));
        let client = example.1;
        let hand = super::rust::HAND_WRITTEN.contains(&op.name.as_str());
        let (ty, call) = if hand {
            ("Value".to_owned(), format!("{client}.operation(\"{}\", a.as_object().unwrap().clone(), opts())", op.name))
        } else {
            let recv = if op.on_collection() {
                format!("{client}.collection(s(&a, \"collection\"))")
            } else {
                format!("{client}.{}()", super::snake(&op.group))
            };
            let params: Vec<String> = op
                .params()
                .iter()
                .map(|p| match p.ty.as_str() {
                    "string" => format!("s(&a, \"{}\")", p.name),
                    "integer" => format!("i(&a, \"{}\")", p.name),
                    "boolean" => format!("b(&a, \"{}\")", p.name),
                    _ => format!("a[\"{}\"].clone()", p.name),
                })
                .collect();
            let params = params.iter().map(|p| format!("{p}, ")).collect::<String>();
            (
                super::rust::return_type(op).to_owned(),
                format!("{recv}.{}({params}opts())", super::rust::method_name(op)),
            )
        };
        let shape = if op.forks && !hand { "client" } else { op.result.as_str() };
        let expect = match expected_status(example) {
            Some(n) => format!("Some({n})"),
            None => "None".to_owned(),
        };
        s.push_str(&format!(
            "\n    // {}\n    let a = fill(json!({}), &r);\n    let got: bosbase::Result<{ty}> = {call}.wait();\n    r.insert(\"{}\".into(), check(\"{}\", got, \"{shape}\", {expect}));\n    exercised += 1;\n",
            op.name, args, op.name, op.name
        ));
    }
    let not_here = not_here();
    let listed: Vec<String> = not_here.iter().map(|(n, why)| format!("        (\"{n}\", \"{why}\"),\n")).collect();
    s.push_str(&format!(
        "\n    let not_here: &[(&str, &str)] = &[\n{}    ];\n    assert_eq!(exercised + not_here.len(), {}, \"every row is exercised or listed\");\n    let summary = format!(\"smoke (Rust): {{exercised}} rows exercised against the dev server, {{}} listed as not here\\n\", not_here.len());\n    eprint!(\"{{summary}}\");\n    // `make test` prints it after the run (cargo keeps a passing test's output to itself).\n    std::fs::write(concat!(env!(\"CARGO_TARGET_TMPDIR\"), \"/smoke-rust.txt\"), summary).unwrap();\n    for (op, why) in not_here {{\n        eprintln!(\"  not exercised here: {{op}}: {{why}}\");\n    }}\n}}\n",
        listed.concat(),
        super::table().len()
    ));
    s
}

const RUST_HEAD: &str = r#"//! The smoke test: every row of the operation table that the dev server can answer is called
//! once, in the order of the examples, through its typed Rust method, and the typed result
//! (or the expected HTTP error) is checked. The rows it does not call are listed with the
//! reason and printed.

mod common;

use std::collections::HashMap;

use bosbase::{ErrorKind, SendOptions};
use serde::Serialize;
use serde_json::{json, Value};

fn opts() -> SendOptions {
    SendOptions::default()
}

fn s<'a>(a: &'a Value, name: &str) -> &'a str {
    a[name].as_str().unwrap_or_else(|| panic!("`{name}` is not a string: {a}"))
}

fn i(a: &Value, name: &str) -> i64 {
    a[name].as_i64().unwrap_or_else(|| panic!("`{name}` is not an integer: {a}"))
}

fn b(a: &Value, name: &str) -> bool {
    a[name].as_bool().unwrap_or_else(|| panic!("`{name}` is not a boolean: {a}"))
}

/// `"${op}"` / `"${op.field...}"` is an earlier result (or a part of it); inside a longer
/// string, its text.
fn fill(v: Value, r: &HashMap<String, Value>) -> Value {
    let lookup = |path: &str| -> Value {
        let key = r.keys().filter(|k| path == *k || path.starts_with(&format!("{k}."))).max_by_key(|k| k.len());
        let key = key.unwrap_or_else(|| panic!("no earlier result for ${{{path}}}"));
        let rest = path[key.len()..].trim_start_matches('.');
        rest.split('.').filter(|p| !p.is_empty()).fold(r[key].clone(), |v, p| v[p].clone())
    };
    match v {
        Value::String(t) if t.starts_with("${") && t.ends_with('}') && t.matches("${").count() == 1 => {
            lookup(&t[2..t.len() - 1])
        }
        Value::String(mut t) => {
            while let Some(start) = t.find("${") {
                let end = start + t[start..].find('}').unwrap();
                let value = lookup(&t[start + 2..end]);
                let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
                t.replace_range(start..=end, &text);
            }
            Value::String(t)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|x| fill(x, r)).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| (k, fill(x, r))).collect()),
        other => other,
    }
}

/// The typed result as JSON after checking it has the row's shape, or `null` after checking
/// the expected HTTP error.
fn check<T: Serialize + std::fmt::Debug>(op: &str, got: bosbase::Result<T>, shape: &str, expect: Option<u16>) -> Value {
    match expect {
        Some(status) => {
            let err = got.expect_err(op);
            assert_eq!((err.kind(), err.status()), (ErrorKind::Http, status), "{op}: {err}");
            Value::Null
        }
        None => {
            let value = got.unwrap_or_else(|e| panic!("{op}: {e}"));
            let json = if shape == "client" { Value::Null } else { serde_json::to_value(&value).unwrap() };
            let ok = match shape {
                "json" => json.is_object() || json.is_null(),
                "list" => json.is_array(),
                "string" => json.as_str().is_some_and(|t| !t.is_empty()),
                "integer" => json.is_i64(),
                "true" => json == Value::Bool(true),
                _ => true,
            };
            assert!(ok, "{op}: {json} is not a {shape} result");
            json
        }
    }
}

// One statement group per row, as generated (rustfmt leaves it as it is).
#[test]
#[rustfmt::skip]
#[allow(unused_variables)]
fn every_dev_server_row_once() {
    let admin = common::admin();
    let guest = common::client();
    let mut r: HashMap<String, Value> = HashMap::new();
    r.insert("token".into(), Value::String(bosbase::generate_token().unwrap()));
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_000;
    r.insert("n".into(), Value::String(n.to_string()));
    let mut exercised = 0;
"#;

/// `bindings/go/smoke_gen_test.go`: every example row once against the dev server, through
/// the generated Go method.
pub fn go() -> String {
    let mut s = format!(
        "{}\n\n// From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n",
        super::MARK_SLASH
    );
    s.push_str(GO_HEAD);
    for (op, example) in rows() {
        let args = Value::Object(arguments(&op, example));
        let client = example.1;
        let recv = if op.on_collection() {
            format!("{client}.Collection(str(a, \"collection\"))")
        } else {
            format!("{client}.{}()", super::pascal(&op.group))
        };
        let mut params: Vec<String> = super::go::ordered(&op)
            .iter()
            .map(|p| match p.ty.as_str() {
                "string" => format!("str(a, \"{}\")", p.name),
                "integer" if p.zero_is_value && p.default.is_some() => format!("bosbase.Ptr(num(a, \"{}\"))", p.name),
                "integer" => format!("num(a, \"{}\")", p.name),
                "boolean" => format!("a[\"{}\"].(bool)", p.name),
                "object" => format!("obj(a, \"{}\")", p.name),
                "array" => format!("arr(a, \"{}\")", p.name),
                _ => format!("a[\"{}\"]", p.name),
            })
            .collect();
        params.extend(["nil", "nil", "nil"].map(str::to_owned));
        let shape = if op.forks { "client" } else { op.result.as_str() };
        let status = expected_status(example).unwrap_or(0);
        let template = args.to_string().replace('`', "` + \"`\" + `");
        s.push_str(&format!(
            "\n\t// {}\n\ta = fill(t, `{template}`, r)\n\tgot, err = {recv}.{}({})\n\tr[\"{}\"] = check(t, \"{}\", got, err, \"{shape}\", {status})\n\texercised++\n",
            op.name,
            super::pascal(&op.method),
            params.join(", "),
            op.name,
            op.name
        ));
    }
    let not_here = not_here();
    let listed: String = not_here.iter().map(|(n, why)| format!("\t\t{{\"{n}\", \"{why}\"}},\n")).collect();
    s.push_str(&format!(
        "\n\tnotHere := [][2]string{{\n{listed}\t}}\n\tif exercised+len(notHere) != {} {{\n\t\tt.Fatalf(\"%d rows exercised + %d listed, want every row ({})\", exercised, len(notHere))\n\t}}\n\tsummary := fmt.Sprintf(\"smoke (Go): %d rows exercised against the dev server, %d listed as not here\\n\", exercised, len(notHere))\n\tfor _, n := range notHere {{\n\t\tt.Logf(\"not exercised here: %s: %s\", n[0], n[1])\n\t}}\n\tfmt.Fprint(os.Stderr, summary)\n\t// make test prints it after the run.\n\t_ = os.MkdirAll(\"../../target/tmp\", 0o755)\n\t_ = os.WriteFile(\"../../target/tmp/smoke-go.txt\", []byte(summary), 0o644)\n}}\n",
        super::table().len(),
        super::table().len()
    ));
    s
}

const GO_HEAD: &str = r#"
package bosbase_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

func str(a map[string]any, name string) string { return a[name].(string) }

func num(a map[string]any, name string) int { return int(a[name].(float64)) }

func obj(a map[string]any, name string) map[string]any {
	m, _ := a[name].(map[string]any)
	return m
}

func arr(a map[string]any, name string) []any {
	l, _ := a[name].([]any)
	return l
}

// lookup is an earlier result ("op") or a part of it ("op.field.sub").
func lookup(t *testing.T, path string, r map[string]any) any {
	key := ""
	for k := range r {
		if (path == k || strings.HasPrefix(path, k+".")) && len(k) > len(key) {
			key = k
		}
	}
	if key == "" {
		t.Fatalf("no earlier result for ${%s}", path)
	}
	v := r[key]
	for _, p := range strings.Split(strings.TrimPrefix(path[len(key):], "."), ".") {
		if p != "" {
			v = v.(map[string]any)[p]
		}
	}
	return v
}

func substitute(t *testing.T, v any, r map[string]any) any {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "${") && strings.HasSuffix(x, "}") && strings.Count(x, "${") == 1 {
			return lookup(t, x[2:len(x)-1], r)
		}
		for strings.Contains(x, "${") {
			start := strings.Index(x, "${")
			end := start + strings.Index(x[start:], "}")
			value := lookup(t, x[start+2:end], r)
			text, ok := value.(string)
			if !ok {
				b, _ := json.Marshal(value)
				text = string(b)
			}
			x = x[:start] + text + x[end+1:]
		}
		return x
	case []any:
		for i := range x {
			x[i] = substitute(t, x[i], r)
		}
	case map[string]any:
		for k := range x {
			x[k] = substitute(t, x[k], r)
		}
	}
	return v
}

// fill is an example's arguments with earlier results in place of their ${...}.
func fill(t *testing.T, template string, r map[string]any) map[string]any {
	var a map[string]any
	if err := json.Unmarshal([]byte(template), &a); err != nil {
		t.Fatal(err)
	}
	return substitute(t, a, r).(map[string]any)
}

// check is the typed result as JSON values after checking its shape, or nil after checking
// the expected HTTP error.
func check(t *testing.T, op string, got any, err error, shape string, status int) any {
	t.Helper()
	if status != 0 {
		e := responseError(t, err)
		if e.Kind != bosbase.KindHTTP || e.Status != status {
			t.Fatalf("%s: %v, want an http %d", op, err, status)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	ok := false
	switch shape {
	case "json":
		_, ok = got.(map[string]any)
	case "list":
		_, ok = got.([]any)
	case "string":
		s, isString := got.(string)
		ok = isString && s != ""
	case "integer":
		_, ok = got.(int64)
	case "true":
		ok = got == true
	case "client":
		c, isClient := got.(*bosbase.Client)
		ok = isClient && c.AuthStore.Token() != ""
		if isClient {
			c.Close()
		}
		return nil
	}
	if !ok {
		t.Fatalf("%s: %#v is not a %s result", op, got, shape)
	}
	b, _ := json.Marshal(got)
	var v any
	_ = json.Unmarshal(b, &v)
	return v
}

// Every row of the operation table that the dev server can answer, once, in the order of
// the examples, through its generated method; the typed result (or the expected HTTP error)
// is checked. The rows not called are listed with the reason.
func TestSmokeEveryDevServerRow(t *testing.T) {
	if os.Getenv("BOSBASE_SERVER_KIND") == "bosbase" {
		fmt.Println("smoke (Go): NOT RUN: its examples are the dev server's; the real server runs the hand-written suites")
		t.Skip("the smoke examples are written for the dev server")
	}
	guest := newClient(t)
	admin := newClient(t)
	if _, err := admin.Collection("_superusers").AuthWithPassword("admin@example.com", "admin-password", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	r := map[string]any{"token": freshToken(t), "n": fmt.Sprint(os.Getpid())}
	exercised := 0
	var a map[string]any
	var got any
	var err error
"#;

/// `bindings/elixir/test/bosbase/smoke_gen_test.exs`: every example row once against the dev
/// server, through the generated Elixir function (`apply/3` on the row's module and name).
/// The rows are JSON lines in a `~S` heredoc, which `mix format` leaves as they are.
pub fn elixir() -> String {
    let mut lines = String::new();
    for (op, example) in rows() {
        let args = arguments(&op, example);
        let params: Vec<Value> = op.params().iter().map(|p| Value::String(p.name.clone())).collect();
        let shape = if op.forks { "client" } else { op.result.as_str() };
        let row = serde_json::json!([
            op.name,
            example.1,
            super::elixir::module(&op),
            super::elixir::ident(&op.method),
            op.on_collection(),
            params,
            args,
            shape,
            expected_status(example).unwrap_or(0)
        ]);
        lines.push_str(&format!("  {row}\n"));
    }
    let not_here: String = not_here().iter().map(|(n, why)| format!("  `{n}`: {why}\n")).collect();
    format!(
        "{}\n# From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n{}",
        super::MARK_HASH,
        ELIXIR_TEMPLATE
            .replace("@ROWS@", &lines)
            .replace("@NOT_HERE@", &not_here)
            .replace("@TOTAL@", &super::table().len().to_string())
    )
}

const ELIXIR_TEMPLATE: &str = r##"defmodule Bosbase.SmokeGenTest do
  # Every row of the operation table that the dev server can answer, once, in the order of
  # the examples, through its generated function; the typed result (or the expected HTTP
  # error) is checked. Each row: [operation, client, module, function, on a collection,
  # positional arguments, arguments, result shape, expected HTTP status or 0].
  use ExUnit.Case, async: false

  alias Bosbase.{Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  @rows ~S"""
@ROWS@  """

  @not_here ~S"""
@NOT_HERE@  """

  if System.get_env("BOSBASE_SERVER_KIND") == "bosbase" do
    IO.puts("smoke (Elixir): NOT RUN: its examples are the dev server's")
    @moduletag skip: "the smoke examples are written for the dev server"
  end

  test "every dev-server row once, through its generated function" do
    admin = client()
    {email, password} = account("_superusers")

    {:ok, _} =
      admin
      |> Client.collection("_superusers")
      |> RecordService.auth_with_password(email, password)

    clients = %{"admin" => admin, "guest" => client()}
    n = Integer.to_string(System.unique_integer([:positive]))
    token = Base.url_encode64(:crypto.strong_rand_bytes(32), padding: false)
    rows = @rows |> String.split("\n", trim: true) |> Enum.map(&Bosbase.JSON.decode!/1)

    results =
      Enum.reduce(rows, %{"token" => token, "n" => n}, fn row, r ->
        [op, who, module, fun, on_collection, params, template, shape, status] = row
        args = fill(template, r)
        target = clients[who]

        target = if on_collection, do: Client.collection(target, args["collection"]), else: target

        positional = Enum.map(params, &args[&1])
        module = String.to_existing_atom("Elixir." <> module)
        got = apply(module, String.to_existing_atom(fun), [target | positional])
        Map.put(r, op, check(op, got, shape, status))
      end)

    not_here = String.split(@not_here, "\n", trim: true)
    exercised = length(rows)
    assert map_size(results) == exercised + 2
    assert exercised + length(not_here) == @TOTAL@

    summary =
      "smoke (Elixir): #{exercised} rows exercised against the dev server, " <>
        "#{length(not_here)} listed as not here\n"

    IO.write(summary)
    File.mkdir_p!(Path.expand("../../../../target/tmp", __DIR__))
    File.write!(Path.expand("../../../../target/tmp/smoke-elixir.txt", __DIR__), summary)
  end

  # An earlier result (`${op}`) or a part of it (`${op.field}`), or its text inside a string.
  defp fill(value, r) when is_map(value), do: Map.new(value, fn {k, v} -> {k, fill(v, r)} end)
  defp fill(value, r) when is_list(value), do: Enum.map(value, &fill(&1, r))

  defp fill("${" <> rest = value, r) do
    if String.ends_with?(rest, "}") and length(String.split(value, "${")) == 2,
      do: lookup(String.trim_trailing(rest, "}"), r),
      else: interpolate(value, r)
  end

  defp fill(value, r) when is_binary(value), do: interpolate(value, r)
  defp fill(value, _r), do: value

  defp interpolate(text, r) do
    Regex.replace(~r/\$\{([^}]+)\}/, text, fn _, path ->
      case lookup(path, r) do
        v when is_binary(v) -> v
        v -> v |> Bosbase.JSON.encode("smoke") |> elem(1)
      end
    end)
  end

  defp lookup(path, r) do
    key =
      r
      |> Map.keys()
      |> Enum.filter(&(path == &1 or String.starts_with?(path, &1 <> ".")))
      |> Enum.max_by(&String.length/1)

    path
    |> String.replace_prefix(key, "")
    |> String.split(".", trim: true)
    |> Enum.reduce(r[key], fn part, v -> v[part] end)
  end

  defp check(op, got, _shape, status) when status > 0 do
    assert {:error, %ClientResponseError{kind: "http", status: ^status}} = got, op
    nil
  end

  defp check(op, got, shape, 0) do
    assert {:ok, value} = got, "#{op}: #{inspect(got)}"

    ok =
      case shape do
        "json" -> is_map(value) or is_nil(value)
        "list" -> is_list(value)
        "string" -> is_binary(value) and value != ""
        "integer" -> is_integer(value)
        "true" -> value == true
        "client" -> match?(%Client{}, value)
      end

    assert ok, "#{op}: #{inspect(value)} is not a #{shape} result"
    if shape == "client", do: nil, else: value
  end
end
"##;

/// `tests/c/smoke_gen_test.cpp`: every example row once against the dev server, through the
/// generated C++ method (`bosbase_operations_gen.hpp`).
pub fn cpp() -> String {
    let mut body = String::new();
    for (op, example) in rows() {
        let args = Value::Object(arguments(&op, example));
        let client = example.1;
        let recv = if op.on_collection() {
            format!("{client}.collection(str(a, \"collection\"))")
        } else {
            format!("{client}.{}()", super::snake(&op.group))
        };
        let params: Vec<String> = op
            .params()
            .iter()
            .map(|p| match p.ty.as_str() {
                "string" => format!("str(a, \"{}\")", p.name),
                "integer" => format!("std::stoll(field(a, \"{}\"))", p.name),
                "boolean" => format!("field(a, \"{}\") == \"true\"", p.name),
                _ => format!("field(a, \"{}\")", p.name),
            })
            .collect();
        let call = format!("{recv}.{}({})", super::cpp::ident(&op.method), params.join(", "));
        let (shape, json) = match op.result.as_str() {
            _ if op.forks => ("client", "got.auth_is_valid() ? std::string(\"null\") : std::string()"),
            "true" => ("true", "got ? std::string(\"true\") : std::string(\"false\")"),
            "integer" => ("integer", "std::to_string(got)"),
            "string" => ("string", "got.empty() ? std::string() : bosbase::detail::json_string(got)"),
            "list" => ("list", "got"),
            _ => ("json", "got"),
        };
        let status = expected_status(example).unwrap_or(0);
        body.push_str(&format!(
            "\n    // {}\n    a = fill(R\"JSON({args})JSON\", r);\n    run(r, \"{}\", \"{shape}\", {status}, [&] {{\n        auto got = {call};\n        return {json};\n    }});\n",
            op.name, op.name
        ));
    }
    let not_here: String = not_here().iter().map(|(n, why)| format!("        {{\"{n}\", \"{why}\"}},\n")).collect();
    format!(
        "{}\n// From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n{}",
        super::MARK_SLASH,
        CPP_TEMPLATE
            .replace("@ROWS@", &body)
            .replace("@NOT_HERE@", &not_here)
            .replace("@TOTAL@", &super::table().len().to_string())
    )
}

const CPP_TEMPLATE: &str = r##"// Every row of the operation table that the dev server can answer, once, in the order of the
// examples, through its generated C++ method; the typed result (or the expected HTTP error)
// is checked. The rows not called are listed with the reason. Needs BOSBASE_URL.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bosbase.hpp"

using Results = std::map<std::string, std::string>;

static int exercised, failed;

// The end of the JSON value that starts at `i` in `j`.
static std::size_t value_end(const std::string &j, std::size_t i) {
    int depth = 0;
    bool in_string = false;
    for (; i < j.size(); ++i) {
        char c = j[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') {
                in_string = false;
                if (depth == 0) return i + 1;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return i + 1;
            if (depth < 0) return i;
        } else if (depth == 0 && (c == ',' || c == ' ')) {
            return i;
        }
    }
    return i;
}

// The raw JSON of `key` in the object `j` (top level; "null" when absent).
static std::string field(const std::string &j, const std::string &key) {
    std::string quoted = bosbase::detail::json_string(key);
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < j.size(); ++i) {
        char c = j[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '{' || c == '[') ++depth;
        else if (c == '}' || c == ']') --depth;
        else if (c == '"') {
            if (depth == 1 && j.compare(i, quoted.size(), quoted) == 0 && j[i + quoted.size()] == ':') {
                std::size_t start = i + quoted.size() + 1;
                return j.substr(start, value_end(j, start) - start);
            }
            in_string = true;
        }
    }
    return "null";
}

static std::string str(const std::string &j, const std::string &key) {
    return bosbase::detail::json_unquote(field(j, key));
}

// The raw JSON of an earlier result (`op`) or of a part of it (`op.field.sub`).
static std::string lookup(const std::string &path, const Results &r) {
    std::string key;
    for (const auto &kv : r)
        if ((path == kv.first || path.rfind(kv.first + ".", 0) == 0) && kv.first.size() > key.size()) key = kv.first;
    if (key.empty()) {
        std::cerr << "no earlier result for ${" << path << "}\n";
        std::exit(1);
    }
    std::string v = r.at(key), rest = path.substr(key.size());
    while (!rest.empty()) {
        rest = rest.substr(1);
        std::size_t dot = rest.find('.');
        v = field(v, rest.substr(0, dot));
        rest = dot == std::string::npos ? "" : rest.substr(dot);
    }
    return v;
}

// The example's JSON with earlier results in place of "${...}" (a whole string: the raw
// value; inside a string: its text).
static std::string fill(std::string j, const Results &r) {
    std::size_t at;
    while ((at = j.find("${")) != std::string::npos) {
        std::size_t end = j.find('}', at);
        std::string value = lookup(j.substr(at + 2, end - at - 2), r);
        bool whole = at > 0 && j[at - 1] == '"' && j[end + 1] == '"';
        if (whole) {
            j.replace(at - 1, end - at + 3, value);
        } else {
            std::string text = value.size() > 1 && value[0] == '"' ? bosbase::detail::json_unquote(value) : value;
            j.replace(at, end - at + 1, text);
        }
    }
    return j;
}

static void run(Results &r, const std::string &op, const std::string &shape, int status,
                const std::function<std::string()> &call) {
    ++exercised;
    try {
        std::string got = call();
        if (status != 0) {
            ++failed;
            std::cerr << op << ": succeeded, want an http " << status << "\n";
            return;
        }
        bool ok = shape == "json"     ? (got == "null" || got.rfind("{", 0) == 0)
                  : shape == "list"   ? got.rfind("[", 0) == 0
                  : shape == "string" ? got.size() > 2
                  : shape == "true"   ? got == "true"
                  : shape == "client" ? got == "null"
                                      : !got.empty();
        if (!ok) {
            ++failed;
            std::cerr << op << ": " << got << " is not a " << shape << " result\n";
        }
        r[op] = got;
    } catch (const bosbase::Error &e) {
        if (status == 0 || e.status() != BOSBASE_STATUS_HTTP || field(e.json(), "status") != std::to_string(status)) {
            ++failed;
            std::cerr << op << ": " << e.what() << " (want " << (status ? "http " + std::to_string(status) : "success")
                      << ")\n";
        }
        r[op] = "null";
    }
}

int main() {
    const char *url = std::getenv("BOSBASE_URL");
    if (!url) {
        std::cerr << "BOSBASE_URL is not set\n";
        return 1;
    }
    bosbase::Client admin(url), guest(url);
    admin.collection("_superusers").auth_with_password("admin@example.com", "admin-password");
    Results r;
    r["token"] = bosbase::detail::json_string(bosbase::generate_token());
    r["n"] = bosbase::detail::json_string(std::to_string(std::time(nullptr) % 100000000));
    std::string a;
@ROWS@
    const std::vector<std::pair<std::string, std::string>> not_here = {
@NOT_HERE@    };
    if (exercised + static_cast<int>(not_here.size()) != @TOTAL@) {
        ++failed;
        std::cerr << "every row is exercised or listed\n";
    }
    std::printf("smoke (C++): %d rows exercised against the dev server, %zu listed as not here, %d failed\n",
                exercised, not_here.size(), failed);
    return failed == 0 ? 0 : 1;
}
"##;

/// `bindings/godot/tests/engine/smoke_gen.gd`: every example row once against the dev
/// server, in the engine, through the generated GDScript method (run by test_runner.gd).
pub fn gdscript() -> String {
    let mut body = String::new();
    for (op, example) in rows() {
        let args = Value::Object(arguments(&op, example));
        let client = example.1;
        let recv = if op.on_collection() {
            format!("{client}.collection(a[\"collection\"])")
        } else {
            format!("{client}.{}()", super::snake(&op.group))
        };
        let params: Vec<String> = op
            .params()
            .iter()
            .map(|p| match p.ty.as_str() {
                "integer" => format!("int(a[\"{}\"])", p.name),
                _ => format!("a[\"{}\"]", p.name),
            })
            .collect();
        let shape = if op.forks { "client" } else { op.result.as_str() };
        let status = expected_status(example).unwrap_or(0);
        let head = format!("\tgot = await {recv}.{}(", super::gdscript::method_name(&op));
        let one = format!("{head}{})", params.join(", "));
        let call = if one.len() + 3 <= 100 { one } else { format!("{head}\n\t\t{}\n\t)", params.join(",\n\t\t")) };
        let text = args.to_string().replace('\\', "\\\\").replace('\'', "\\'");
        let parse = format!("\ta = _fill(JSON.parse_string('{text}'), r)");
        let parse = if parse.len() + 3 <= 100 {
            parse
        } else {
            let mut chunks: Vec<String> = Vec::new();
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let mut cut = rest.len().min(80);
                while !rest.is_char_boundary(cut) || rest[..cut].ends_with('\\') {
                    cut -= 1;
                }
                chunks.push(format!("'{}'", &rest[..cut]));
                rest = &rest[cut..];
            }
            format!(
                "\ta = _fill(\n\t\tJSON.parse_string(\n\t\t\t(\n\t\t\t\t{}\n\t\t\t)\n\t\t),\n\t\tr\n\t)",
                chunks.join("\n\t\t\t\t+ ")
            )
        };
        let store = format!("\tr[\"{}\"] = _check(\"{}\", got, \"{shape}\", {status})", op.name, op.name);
        let store = if store.len() + 3 <= 100 {
            store
        } else {
            format!("\tr[\"{}\"] = _check(\n\t\t\"{}\", got, \"{shape}\", {status}\n\t)", op.name, op.name)
        };
        body.push_str(&format!("\n\t# {}\n{parse}\n{call}\n{store}\n", op.name));
    }
    // The names only (the reasons are in tools/generate/smoke.rs and the other smoke tests).
    let not_here: String = not_here().iter().map(|(n, _)| format!("\t\"{n}\",\n")).collect();
    format!(
        "{}  # gdlint: disable=max-file-lines\n# From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n{}",
        super::MARK_HASH,
        GD_TEMPLATE
            .replace("@ROWS@", &body)
            .replace("@NOT_HERE@", &not_here)
            .replace("@TOTAL@", &super::table().len().to_string())
            .replace("@COUNT@", &rows().len().to_string())
    )
}

const GD_TEMPLATE: &str = r##"extends RefCounted
## Every row of the operation table that the dev server can answer, once, in the order of the
## examples, through its generated method, in the engine; the typed result (or the expected
## HTTP error) is checked. The rows not called are listed with the reason. Run by
## test_runner.gd, whose check() counts the results.

const BosBase = preload("res://addons/bosbase/bosbase.gd")

const NOT_HERE := [
@NOT_HERE@]

var runner = null  # test_runner.gd (a SceneTree): check(), url


func _init(test_runner: Variant) -> void:
	runner = test_runner


func run() -> void:
	if OS.get_environment("BOSBASE_SERVER_KIND") == "bosbase":
		print("smoke (GDScript): NOT RUN: its examples are the dev server's;")
		print("  the real server runs the hand-written suites")
		return
	var admin = BosBase.new(runner.url)
	var guest = BosBase.new(runner.url)
	var login: Variant = await admin.collection("_superusers").auth_with_password(
		"admin@example.com", "admin-password"
	)
	runner.check(login is Dictionary, "smoke: superuser login")
	var r := {"token": admin.generate_token(), "n": str(Time.get_ticks_usec() % 100000000)}
	var a: Dictionary = {}
	var got: Variant = null
@ROWS@
	runner.check(@COUNT@ + NOT_HERE.size() == @TOTAL@, "smoke: every row exercised or listed")
	print(
		(
			"smoke (GDScript): @COUNT@ rows exercised against the dev server, %d listed as not here"
			% NOT_HERE.size()
		)
	)
	admin.close()
	guest.close()


## An earlier result ("${op}") or a part of it ("${op.field}"), or its text inside a string;
## integral numbers as int.
func _fill(value: Variant, r: Dictionary) -> Variant:
	if value is Dictionary:
		var out := {}
		for k in value:
			out[k] = _fill(value[k], r)
		return out
	if value is Array:
		return value.map(func(x): return _fill(x, r))
	# JSON.parse_string gives floats; the examples' numbers are integers.
	if value is float and value == floor(value):
		return int(value)
	if not value is String or not "${" in value:
		return value
	var text: String = value
	if text.begins_with("${") and text.ends_with("}") and text.count("${") == 1:
		return _lookup(text.substr(2, text.length() - 3), r)
	while "${" in text:
		var start := text.find("${")
		var end := text.find("}", start)
		var v: Variant = _lookup(text.substr(start + 2, end - start - 2), r)
		text = text.substr(0, start) + (v if v is String else JSON.stringify(v)) + text.substr(end + 1)
	return text


func _lookup(path: String, r: Dictionary) -> Variant:
	var key := ""
	for k in r:
		if (path == k or path.begins_with(k + ".")) and k.length() > key.length():
			key = k
	var v: Variant = r[key]
	for part in path.substr(key.length()).split(".", false):
		v = v[part]
	return v


func _check(op: String, got: Variant, shape: String, status: int) -> Variant:
	if status != 0:
		var refused: bool = got is ClientResponseError and got.kind == "http" and got.status == status
		runner.check(refused, "smoke: %s gives http %d (%s)" % [op, status, got])
		return null
	if got is ClientResponseError:
		runner.check(false, "smoke: %s: %s" % [op, got])
		return null
	var ok := false
	match shape:
		"json":
			ok = got is Dictionary or got == null
		"list":
			ok = got is Array
		"string":
			ok = got is String and got != ""
		"integer":
			# Godot's JSON gives floats; an integer row's method delivers an int.
			ok = got is int
		"true":
			ok = got is bool and got
		"client":
			ok = got != null and got.has_method("close")
			if ok:
				got.close()
			got = null
	runner.check(ok, "smoke: %s gives a %s result (%s)" % [op, shape, got])
	return got
"##;
