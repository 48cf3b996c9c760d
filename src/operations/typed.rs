//! The typed returns of the generated Rust methods (`src/services_gen.rs`): a row's result,
//! already checked against its shape by the executor, as the Rust type of that shape
//! (`integer` → `i64`, `string` → `String`, `list` → `Vec<Value>`, `true` → `bool`,
//! `json` → `Value`).

use serde_json::Value;

use crate::{Error, ErrorKind, Result};

/// A Rust type a row's result converts to.
pub trait Typed: Sized {
    /// The result as `Self`; a `json` error when it has another shape (never, for a result
    /// the executor checked).
    fn typed(value: Value) -> Result<Self>;
}

fn mismatch() -> Error {
    Error::new(ErrorKind::Json, "", "the answer does not have the operation's result type")
}

impl Typed for Value {
    fn typed(value: Value) -> Result<Self> {
        Ok(value)
    }
}

impl Typed for Vec<Value> {
    fn typed(value: Value) -> Result<Self> {
        match value {
            Value::Array(items) => Ok(items),
            _ => Err(mismatch()),
        }
    }
}

impl Typed for String {
    fn typed(value: Value) -> Result<Self> {
        match value {
            Value::String(s) => Ok(s),
            _ => Err(mismatch()),
        }
    }
}

impl Typed for i64 {
    fn typed(value: Value) -> Result<Self> {
        value.as_i64().ok_or_else(mismatch)
    }
}

impl Typed for bool {
    fn typed(value: Value) -> Result<Self> {
        value.as_bool().ok_or_else(mismatch)
    }
}

/// `value` as `T` (the generated methods' `.and_then(typed)`).
pub(crate) fn typed<T: Typed>(value: Value) -> Result<T> {
    T::typed(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_shape_converts_and_a_mismatch_is_a_json_error() {
        assert_eq!(typed::<i64>(json!(7)).unwrap(), 7);
        assert_eq!(typed::<String>(json!("u")).unwrap(), "u");
        assert_eq!(typed::<Vec<Value>>(json!([1])).unwrap(), vec![json!(1)]);
        assert!(typed::<bool>(json!(true)).unwrap());
        assert_eq!(typed::<i64>(json!("7")).unwrap_err().kind(), ErrorKind::Json);
    }
}
