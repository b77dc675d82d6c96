//! Unit tests of `core::shape`: the readers agree with the serde derives (what the package
//! used before) on every one-field change of real answers, and say where a shape is wrong.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::*;
use crate::core::decode::api_error;

impl Json for Value {
    fn kind(&self) -> Kind {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::Text,
            Value::Array(_) => Kind::List,
            Value::Object(_) => Kind::Map,
        }
    }
    fn field(&self, key: &'static str) -> Option<Self> {
        self.as_object()?.get(key).cloned()
    }
    fn number(&self) -> Option<f64> {
        self.as_f64()
    }
    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }
    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }
    fn entries(&self) -> Option<Vec<(String, Self)>> {
        let object = self.as_object()?;
        Some(object.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

const EXPERIMENT_PAGE: &str = r#"{"index":0,"isComplete":true,"totalNumResults":2,"first":"f",
    "next":"n","prev":null,
    "data":[{"id":3,"metrics":[{"name":"a","value":"-inf"},{"name":"b","value":2}]},
            {"id":4,"metrics":[{"name":"c","value":0.25,"extra":[]}],"more":{}}]}"#;
const EXPERIMENTS: &str = r#"{"index":0,"isComplete":true,"totalNumResults":1,"first":"f",
    "data":[{"id":15,"snapshot":16,"name":"pool","description":null,"tags":[]},
            {"id":16,"name":"other","description":"d"}]}"#;
const JOBS: &str = r#"{"index":0,"isComplete":true,"totalNumResults":1,"first":"f",
    "data":[{"id":12,"status":"queued","createdOn":"2026-11-27T13:29:36.375827+00:00",
    "values":{"name":"v"}}]}"#;
const HISTORY_HEAD: &str = r#"{"index":2,"isComplete":false,"totalNumResults":25,
    "first":"/a?index=0","next":"/a?index=2","data":[{"name":"acc","value":"nan"}]}"#;
const LOGIN: &str = r#"{"username":"pentest","status":"Login successful","x":1}"#;
const ERROR_BODY: &str = r#"{"error":"E","message":"m","detail":{},
    "errors":{"name":["x",{"b":"y","c":[""]}],"pageLength":"Must be <= 500","n":7}}"#;

/// What a field is replaced with, in turn.
fn replacements() -> Vec<Option<Value>> {
    let mut out: Vec<Option<Value>> = [
        "null",
        "true",
        "false",
        "0",
        "7",
        "-1",
        "1.5",
        "-2.5",
        "\"\"",
        "\"x\"",
        "\"nan\"",
        "\"-inf\"",
        "\"2026-01-02T03:04:05\"",
        "[]",
        "[1]",
        "[\"a\"]",
        "{}",
        "{\"a\":\"b\"}",
    ]
    .iter()
    .map(|json| Some(serde_json::from_str(json).unwrap()))
    .collect();
    out.push(None); // The field removed.
    out
}

/// `value` with each of its places (fields, items, at any depth) changed in each way.
fn variants(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match value {
        Value::Object(object) => {
            for (key, field) in object {
                for replacement in replacements() {
                    let mut changed = object.clone();
                    match replacement {
                        Some(new) => changed.insert(key.clone(), new),
                        None => changed.remove(key),
                    };
                    out.push(Value::Object(changed));
                }
                for inner in variants(field) {
                    let mut changed = object.clone();
                    changed.insert(key.clone(), inner);
                    out.push(Value::Object(changed));
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                for replacement in replacements().into_iter().flatten() {
                    let mut changed = items.clone();
                    changed[i] = replacement;
                    out.push(Value::Array(changed));
                }
                for inner in variants(item) {
                    let mut changed = items.clone();
                    changed[i] = inner;
                    out.push(Value::Array(changed));
                }
            }
        }
        _ => {}
    }
    out
}

/// The reader and the serde derive accept the same variants of `json`, and read them alike.
fn agrees_with_serde<T: FromJson + DeserializeOwned + Debug>(json: &str) -> usize {
    let good: Value = serde_json::from_str(json).unwrap();
    let mut all = variants(&good);
    all.push(good);
    for root in replacements().into_iter().flatten() {
        all.push(root);
    }
    for value in &all {
        let ours = T::from_json(value);
        let theirs = serde_json::from_value::<T>(value.clone());
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{value}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{value}: ours {ours:?}, serde {theirs:?}"),
        }
    }
    all.len()
}

#[test]
fn pages_are_read_as_the_serde_derives_read_them() {
    let checked = agrees_with_serde::<Page<JobMetrics>>(EXPERIMENT_PAGE)
        + agrees_with_serde::<Page<ExperimentSummary>>(EXPERIMENTS)
        + agrees_with_serde::<Page<JobSummary>>(JOBS)
        + agrees_with_serde::<PageHead>(HISTORY_HEAD)
        + agrees_with_serde::<LoginAnswer>(LOGIN);
    assert!(checked > 1000, "{checked} variants");
}

#[test]
fn error_bodies_give_the_errors_the_serde_derive_gave() {
    let good: Value = serde_json::from_str(ERROR_BODY).unwrap();
    let mut all = variants(&good);
    all.push(good);
    all.extend(replacements().into_iter().flatten());
    let error = |body: Option<ErrorBody>| format!("{:?}", api_error(400, "BAD", body, "GET", "/p"));
    for value in &all {
        let ours = ErrorBody::from_json(value);
        // serde_json reads a struct from an array too, by position; serde-wasm-bindgen (the
        // package's reader before) read no field of an array, as this reader.
        let theirs = match value {
            Value::Array(_) => Some(ErrorBody::default()),
            _ => serde_json::from_value::<ErrorBody>(value.clone()).ok(),
        };
        assert_eq!(error(ours), error(theirs), "{value}");
    }
}

#[test]
fn error_bodies_are_read_to_a_bounded_depth() {
    for depth in [1, 14, 15, 16, 17, 100] {
        let deep = format!("{}\"x\"{}", "[".repeat(depth), "]".repeat(depth));
        let json = format!(r#"{{"message":{deep},"errors":{{"a":{deep}}},"error":"E"}}"#);
        let value: Value = serde_json::from_str(&json).unwrap();
        let ours = ErrorBody::from_json(&value);
        let theirs = serde_json::from_value::<ErrorBody>(value).ok();
        let error = |body| format!("{:?}", api_error(400, "", body, "GET", "/p"));
        assert_eq!(error(ours), error(theirs), "depth {depth}");
    }
}

#[test]
fn ids_are_whole_numbers_javascript_holds_exactly() {
    let page = |id: &str| {
        let json = format!(
            r#"{{"index":0,"isComplete":true,"totalNumResults":1,"first":"f",
                "data":[{{"id":{id},"name":"n"}}]}}"#
        );
        Page::<ExperimentSummary>::from_json(&serde_json::from_str::<Value>(&json).unwrap())
    };
    assert_eq!(page("9007199254740991").unwrap().data[0].id, (1 << 53) - 1);
    // JSON.parse reads `3.0` as 3, as serde-wasm-bindgen read it.
    assert_eq!(page("3.0").unwrap().data[0].id, 3);
    assert_eq!(page("-0.0").unwrap().data[0].id, 0);
    for refused in ["9007199254740992", "1e300", "-1", "0.5"] {
        assert!(page(refused).is_err(), "{refused}");
    }
}

#[test]
fn refusals_say_where_and_what() {
    let read = |json: &str| {
        Page::<JobMetrics>::from_json(&serde_json::from_str::<Value>(json).unwrap()).unwrap_err()
    };
    let good: Value = serde_json::from_str(EXPERIMENT_PAGE).unwrap();
    let mut no_total = good.clone();
    no_total.as_object_mut().unwrap().remove("totalNumResults");
    assert_eq!(
        read(&no_total.to_string()),
        "missing field `totalNumResults`"
    );
    let mut bad_value = good.clone();
    bad_value["data"][1]["metrics"][0]["value"] = Value::from("high");
    assert_eq!(
        read(&bad_value.to_string()),
        r#"data[1].metrics[0].value: invalid type: "high", expected a number or one of "nan", "inf", "-inf""#
    );
    let mut no_name = good.clone();
    no_name["data"][0]["metrics"][1]
        .as_object_mut()
        .unwrap()
        .remove("name");
    assert_eq!(
        read(&no_name.to_string()),
        "data[0].metrics[1]: missing field `name`"
    );
    assert_eq!(
        read("[]"),
        "the body: invalid type: an array, expected a page"
    );
    let long = "x".repeat(10_000);
    let mut long_id = good;
    long_id["data"][0]["id"] = Value::from(long);
    assert!(read(&long_id.to_string()).len() < 200);
}
