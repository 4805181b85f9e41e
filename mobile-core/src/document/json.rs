//! Conversion between serde JSON values and automerge's hydrated values. Typed structs are
//! written and read through JSON so the document layout is exactly the serde shape of the types
//! (a visible, snapshot-tested schema) and no other code builds automerge values by hand.

use super::DocumentError;
use automerge::ScalarValue;
use automerge::hydrate;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// JSON → automerge. Strings become immutable scalar strings (field entries never change).
pub(crate) fn to_hydrate(value: &Value) -> hydrate::Value {
    match value {
        Value::Null => hydrate::Value::scalar(ScalarValue::Null),
        Value::Bool(b) => hydrate::Value::scalar(ScalarValue::Boolean(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                hydrate::Value::scalar(ScalarValue::Int(i))
            } else if let Some(u) = n.as_u64() {
                hydrate::Value::scalar(ScalarValue::Uint(u))
            } else {
                hydrate::Value::scalar(ScalarValue::F64(n.as_f64().unwrap_or(0.0)))
            }
        }
        Value::String(s) => hydrate::Value::scalar(ScalarValue::Str(s.as_str().into())),
        Value::Array(items) => items.iter().map(to_hydrate).collect::<Vec<_>>().into(),
        Value::Object(fields) => {
            let map: HashMap<String, hydrate::Value> = fields
                .iter()
                .map(|(k, v)| (k.clone(), to_hydrate(v)))
                .collect();
            hydrate::Value::Map(map.into())
        }
    }
}

/// automerge → JSON. `path` names where we are, for schema errors.
pub(crate) fn from_hydrate(value: &hydrate::Value, path: &str) -> Result<Value, DocumentError> {
    Ok(match value {
        hydrate::Value::Scalar(scalar) => from_scalar(scalar, path)?,
        hydrate::Value::Text(text) => Value::String(String::from(text)),
        hydrate::Value::List(list) => Value::Array(
            list.iter()
                .enumerate()
                .map(|(i, item)| from_hydrate(&item.value, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        hydrate::Value::Map(map) => {
            let mut out = Map::new();
            for (key, item) in map.iter() {
                out.insert(
                    key.clone(),
                    from_hydrate(&item.value, &format!("{path}.{key}"))?,
                );
            }
            Value::Object(out)
        }
    })
}

fn from_scalar(scalar: &ScalarValue, path: &str) -> Result<Value, DocumentError> {
    Ok(match scalar {
        ScalarValue::Null => Value::Null,
        ScalarValue::Boolean(b) => Value::Bool(*b),
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Value::Number((*i).into()),
        ScalarValue::Uint(u) => Value::Number((*u).into()),
        ScalarValue::F64(f) => Number::from_f64(*f)
            .map(Value::Number)
            .ok_or_else(|| DocumentError::schema(path, "a number that is not finite"))?,
        ScalarValue::Str(s) => Value::String(s.to_string()),
        ScalarValue::Counter(_) | ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } => {
            return Err(DocumentError::schema(
                path,
                "a value of a type the schema never writes",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_hydrate() {
        let value =
            json!({"a": 1, "b": -2, "c": 1.5, "d": "x", "e": null, "f": [true, {"g": 100.0}]});
        let back = from_hydrate(&to_hydrate(&value), "$").expect("round trip");
        assert_eq!(back, value);
        // An integral float stays a float, so `f64` fields keep their type.
        assert!(back["f"][1]["g"].is_f64());
    }
}
