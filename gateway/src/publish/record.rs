//! OCDS records: a contracting process's releases and the compiled release, merged by the
//! standard's rules: objects field by field, arrays of objects with an `id` by that id, any other
//! value replaced by the later release's, and a `null` removing the field.

use serde_json::{Map, Value};

/// The compiled release of `releases`, oldest first.
pub fn compile(ocid: &str, releases: &[Value]) -> Value {
    let mut compiled = Value::Object(Map::new());
    for release in releases {
        merge(&mut compiled, release);
    }
    if let Some(object) = compiled.as_object_mut() {
        let date = object.get("date").and_then(Value::as_str).unwrap_or_default().to_string();
        object.insert("id".into(), Value::String(format!("{ocid}-{date}")));
        object.insert("tag".into(), Value::Array(vec![Value::String("compiled".into())]));
    }
    compiled
}

fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                if value.is_null() {
                    into.remove(key);
                    continue;
                }
                match into.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value);
                    }
                    Some(Value::Array(existing))
                        if identified(value) && identified_all(existing) =>
                    {
                        merge_by_id(
                            existing,
                            value.as_array().map(Vec::as_slice).unwrap_or_default(),
                        );
                    }
                    _ => {
                        into.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (into, from) => *into = from.clone(),
    }
}

/// True for a non-empty array whose items are all objects with an `id`.
fn identified(value: &Value) -> bool {
    value.as_array().is_some_and(|items| !items.is_empty() && identified_all(items))
}

fn identified_all(items: &[Value]) -> bool {
    items.iter().all(|item| item.get("id").is_some_and(|id| !id.is_null()))
}

fn merge_by_id(into: &mut Vec<Value>, from: &[Value]) {
    for item in from {
        match into.iter_mut().find(|existing| existing.get("id") == item.get("id")) {
            Some(existing) => merge(existing, item),
            None => into.push(item.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn objects_merge_by_field_and_identified_items_by_id() {
        let first = json!({
            "ocid": "ocds-gpzj-1", "id": "a", "date": "2026-01-01T00:00:00.000+08:00", "tag": ["award"],
            "awards": [{ "id": "1-5", "status": "pending", "value": { "amount": 10.0, "currency": "CNY" } }],
            "tender": { "status": "active", "items": [{ "id": "1", "quantity": 2.0 }] },
        });
        let second = json!({
            "ocid": "ocds-gpzj-1", "id": "b", "date": "2026-01-03T00:00:00.000+08:00", "tag": ["awardUpdate"],
            "awards": [{ "id": "1-5", "status": "cancelled" }, { "id": "1-9", "status": "pending" }],
            "tender": { "status": "complete" },
        });
        let compiled = compile("ocds-gpzj-1", &[first, second]);
        assert_eq!(compiled["tag"], json!(["compiled"]));
        assert_eq!(compiled["id"], json!("ocds-gpzj-1-2026-01-03T00:00:00.000+08:00"));
        assert_eq!(
            compiled["tender"],
            json!({ "status": "complete", "items": [{ "id": "1", "quantity": 2.0 }] })
        );
        assert_eq!(
            compiled["awards"],
            json!([
                { "id": "1-5", "status": "cancelled", "value": { "amount": 10.0, "currency": "CNY" } },
                { "id": "1-9", "status": "pending" },
            ])
        );
    }

    #[test]
    fn a_null_removes_a_field_and_plain_arrays_are_replaced() {
        let compiled = compile(
            "x",
            &[json!({ "a": 1, "list": [1, 2], "date": "d" }), json!({ "a": null, "list": [3] })],
        );
        assert_eq!(compiled.get("a"), None);
        assert_eq!(compiled["list"], json!([3]));
    }
}
