//! The contract's kinds (`bosbase_kinds_json`: error kinds with their status codes, event
//! kinds with their values and JSON fields) as constants in each binding, one generated file
//! each: `bindings/go/kinds_gen.go`, `bindings/elixir/lib/bosbase/kinds_gen.ex`,
//! `bindings/godot/addons/bosbase/kinds_gen.gd`. (C and C++ have the header's enums; Rust the
//! core's `ErrorKind`.)

use serde_json::Value;

use super::{pascal, MARK_HASH, MARK_SLASH};

/// (name, status or value, meaning, fields) rows of one list of the export.
struct Kind {
    name: String,
    code: u64,
    meaning: String,
    fields: Vec<String>,
}

fn kinds(export: &Value, list: &str, code: &str) -> Vec<Kind> {
    export[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| Kind {
            name: k["name"].as_str().unwrap().to_owned(),
            code: k[code].as_u64().unwrap(),
            meaning: k["meaning"].as_str().unwrap().to_owned(),
            fields: k["fields"]
                .as_array()
                .map_or_else(Vec::new, |f| f.iter().map(|x| x.as_str().unwrap().to_owned()).collect()),
        })
        .collect()
}

/// `mfa_required` → `MFARequired`, `oauth2` → `OAuth2` (Go's initialisms).
fn go_name(name: &str) -> String {
    name.split('_')
        .map(|w| match w {
            "http" | "mfa" | "tls" | "json" | "url" | "id" => w.to_ascii_uppercase(),
            "oauth2" => "OAuth2".to_owned(),
            _ => pascal(w),
        })
        .collect()
}

fn go(errors: &[Kind], events: &[Kind]) -> String {
    let mut s = format!("{MARK_SLASH}\n\npackage bosbase\n\n");
    s.push_str(
        "// Error kinds: the values of ClientResponseError.Kind, from the core's bosbase_kinds_json.\n\
         // The binding uses the same names for the failures it detects itself (a NUL byte in a\n\
         // string, a closed client, ...).\nconst (\n",
    );
    let width = errors.iter().map(|k| go_name(&k.name).len()).max().unwrap_or(0) + 4;
    let vwidth = errors.iter().map(|k| k.name.len()).max().unwrap_or(0) + 2;
    for k in errors {
        s.push_str(&format!(
            "\t{:<width$} = {:<vwidth$} // {}\n",
            format!("Kind{}", go_name(&k.name)),
            format!("\"{}\"", k.name),
            k.meaning.replace('`', "")
        ));
    }
    s.push_str(")\n\n// statusKinds maps a BosbaseStatus code to its error kind.\nvar statusKinds = map[int]string{\n");
    let kw = errors.iter().map(|k| k.code.to_string().len()).max().unwrap_or(0) + 1;
    for k in errors {
        s.push_str(&format!("\t{:<kw$} Kind{},\n", format!("{}:", k.code), go_name(&k.name)));
    }
    s.push_str(
        "}\n\n// EventKind is what one value of a subscription's channel is, as the core says it\n\
         // (BosbaseEventKind). live.go checks at compile time that these are the header's values.\n\
         type EventKind uint32\n\n// The subscription event kinds. A channel never carries EventKindNone.\nconst (\n",
    );
    let ew = events.iter().map(|k| go_name(&k.name).len()).max().unwrap_or(0) + 9;
    for k in events {
        s.push_str(&format!(
            "\t// {}\n\tEventKind{} EventKind = {}\n",
            k.meaning.replace('`', ""),
            go_name(&k.name),
            k.code
        ));
    }
    s.push_str(")\n\n// String is the kind's name in the core's export: ");
    let names: Vec<String> = events.iter().map(|k| format!("{:?}", k.name)).collect();
    s.push_str(&names.join(", "));
    s.push_str(".\nfunc (k EventKind) String() string {\n\tswitch k {\n");
    for k in events {
        s.push_str(&format!("\tcase EventKind{}:\n\t\treturn \"{}\"\n", go_name(&k.name), k.name));
    }
    s.push_str("\t}\n\treturn \"unknown\"\n}\n\n// eventFields are the fields of each event kind's JSON (the decoders' structs are\n// checked against them by TestEventDecodersReadEverySchemaField).\nvar eventFields = map[EventKind][]string{\n");
    for k in events {
        let fields: Vec<String> = k.fields.iter().map(|f| format!("\"{f}\"")).collect();
        let key = format!("EventKind{}:", go_name(&k.name));
        s.push_str(&format!("\t{key:<width$} {{{}}},\n", fields.join(", "), width = ew + 1));
    }
    s.push_str("}\n");
    s
}

fn elixir(errors: &[Kind], events: &[Kind]) -> String {
    let mut s = format!(
        "{MARK_HASH}\ndefmodule Bosbase.Kinds do\n  @moduledoc \"\"\"\n  The contract's kinds, from the core's `bosbase_kinds_json`: each error kind (the `kind`\n  of `Bosbase.ClientResponseError`) with its native status code, and each subscription\n  event kind with its value and the fields of its JSON.\n  \"\"\"\n\n"
    );
    s.push_str("  @doc \"The error kinds, in status-code order.\"\n  @spec error_kinds() :: [String.t()]\n  def error_kinds do\n    [\n");
    let names: Vec<String> = errors.iter().map(|k| format!("      \"{}\"", k.name)).collect();
    s.push_str(&names.join(",\n"));
    s.push_str("\n    ]\n  end\n\n  @doc \"The error kind of a native status code (`nil` for 0, success).\"\n  @spec kind_of_status(non_neg_integer()) :: String.t() | nil\n");
    for k in errors {
        s.push_str(&format!("  def kind_of_status({}), do: \"{}\"\n", k.code, k.name));
    }
    s.push_str("  def kind_of_status(_), do: nil\n\n  @doc \"The native status code of an error kind.\"\n  @spec status_of_kind(String.t()) :: pos_integer() | nil\n");
    for k in errors {
        s.push_str(&format!("  def status_of_kind(\"{}\"), do: {}\n", k.name, k.code));
    }
    s.push_str("  def status_of_kind(_), do: nil\n\n  @doc \"The subscription event kind of a native value (`BosbaseEventKind`).\"\n  @spec event_kind(non_neg_integer()) :: atom() | nil\n");
    for k in events {
        s.push_str(&format!("  def event_kind({}), do: :{}\n", k.code, k.name));
    }
    s.push_str("  def event_kind(_), do: nil\n\n  @doc \"The fields of an event kind's JSON.\"\n  @spec event_fields(atom()) :: [String.t()]\n");
    for k in events {
        let fields: Vec<String> = k.fields.iter().map(|f| format!("\"{f}\"")).collect();
        s.push_str(&format!("  def event_fields(:{}), do: [{}]\n", k.name, fields.join(", ")));
    }
    s.push_str("  def event_fields(_), do: []\nend\n");
    s
}

fn gdscript(errors: &[Kind], events: &[Kind]) -> String {
    let mut s = format!("{MARK_HASH}\nextends RefCounted\n## The contract's kinds, from the core's [code]bosbase_kinds_json[/code]: error kinds\n## (the [code]kind[/code] of a [ClientResponseError]) with their native status codes, and\n## subscription event kinds with their values and the fields of their JSON.\n\n");
    for k in errors {
        s.push_str(&format!(
            "## {}\nconst STATUS_{} := {}\n",
            k.meaning.replace('`', ""),
            k.name.to_ascii_uppercase(),
            k.code
        ));
    }
    s.push_str("\n## Error kind by native status code.\nconst KIND_OF_STATUS := {\n");
    for k in errors {
        s.push_str(&format!("\t{}: \"{}\",\n", k.code, k.name));
    }
    s.push_str("}\n\n");
    for k in events {
        s.push_str(&format!("const EVENT_{} := {}\n", k.name.to_ascii_uppercase(), k.code));
    }
    s.push_str("\n## The fields of each event kind's JSON, by value.\nconst EVENT_FIELDS := {\n");
    for k in events {
        let fields: Vec<String> = k.fields.iter().map(|f| format!("\"{f}\"")).collect();
        s.push_str(&format!("\t{}: [{}],\n", k.code, fields.join(", ")));
    }
    s.push_str("}\n");
    s
}

/// Generated files: (path relative to the repository root, contents).
pub fn outputs() -> Vec<(&'static str, String)> {
    let export = bosbase::operations::kinds::to_json();
    let (errors, events) = (kinds(&export, "errorKinds", "status"), kinds(&export, "eventKinds", "value"));
    vec![
        ("bindings/go/kinds_gen.go", go(&errors, &events)),
        ("bindings/elixir/lib/bosbase/kinds_gen.ex", elixir(&errors, &events)),
        ("bindings/godot/addons/bosbase/kinds_gen.gd", gdscript(&errors, &events)),
    ]
}
