//! `-T json` / `-T jsonl`: packets as tshark's JSON objects
//! (`{"_index", "_type", "_score", "_source": {"layers": {...}}}`), with field
//! values as strings and a field's children under `"<name>_tree"` (under
//! `"<name>"` itself when the field has no value, `FT_NONE`), so that jq
//! scripts written for tshark keep working. A field that occurs several times
//! (`tcp.port`) becomes an array, as with `tshark -T json --no-duplicate-keys`
//! (plain tshark repeats the key, which most JSON parsers reduce to the last). `jsonl` writes the same object on
//! one line per packet.

use super::layer_filter::LayerFilter;
use crate::model::tree::{Field, Tree, Value as FieldValue};
use crate::model::FrameInfo;
use serde_json::{Map, Value};

/// The JSON object of one packet.
pub fn packet_object(frame: &FrameInfo, tree: &Tree) -> Value {
    packet_object_filtered(frame, tree, None)
}

/// [`packet_object`] under `-j`/`-J`: a protocol or a field's subtree whose
/// name is not listed becomes `{"filtered": NAME}` (a field's own value is
/// still written), as tshark's `write_json_proto_node_list` does.
pub fn packet_object_filtered(
    frame: &FrameInfo,
    tree: &Tree,
    filter: Option<&LayerFilter>,
) -> Value {
    let mut layers = Map::new();
    for layer in &tree.layers {
        if filter.is_some_and(|f| !f.allows(layer.proto)) {
            insert_multi(&mut layers, layer.proto.to_string(), filtered(layer.proto));
            continue;
        }
        let below = LayerFilter::below(filter);
        let mut obj = Map::new();
        for f in &layer.fields {
            insert_field(&mut obj, f, below);
        }
        insert_multi(&mut layers, layer.proto.to_string(), Value::Object(obj));
    }
    let mut source = Map::new();
    source.insert("layers".into(), Value::Object(layers));
    let mut top = Map::new();
    top.insert(
        "_index".into(),
        Value::String(format!("packets-{}", utc_date(frame.ts.secs))),
    );
    top.insert("_type".into(), Value::String("doc".into()));
    top.insert("_score".into(), Value::Null);
    top.insert("_source".into(), Value::Object(source));
    Value::Object(top)
}

/// tshark's marker for what `-j` leaves out.
fn filtered(name: &str) -> Value {
    let mut m = Map::new();
    m.insert("filtered".into(), Value::String(name.to_string()));
    Value::Object(m)
}

fn insert_field(obj: &mut Map<String, Value>, f: &Field, filter: Option<&LayerFilter>) {
    let key = if f.name.is_empty() {
        f.label.clone()
    } else {
        f.name.to_string()
    };
    // -j: the subtree of a name not listed is replaced by the marker.
    let children_filtered = filter.is_some_and(|x| !x.allows(&key));
    let below = LayerFilter::below(filter);
    // A named field without a value (`FT_NONE`: `tls.record`,
    // `websocket.payload`) holds its children itself, as tshark writes it.
    if !f.name.is_empty() && matches!(f.value, FieldValue::None) && !f.children.is_empty() {
        if children_filtered {
            insert_multi(obj, key.clone(), filtered(&key));
            return;
        }
        let mut sub = Map::new();
        for c in &f.children {
            insert_field(&mut sub, c, below);
        }
        insert_multi(obj, key, Value::Object(sub));
        return;
    }
    if !f.name.is_empty() {
        insert_multi(obj, key.clone(), Value::String(f.value.show()));
    }
    if !f.children.is_empty() {
        let tree_key = if f.name.is_empty() {
            key.clone()
        } else {
            format!("{key}_tree")
        };
        if children_filtered {
            insert_multi(obj, tree_key, filtered(&key));
            return;
        }
        let mut sub = Map::new();
        for c in &f.children {
            insert_field(&mut sub, c, below);
        }
        insert_multi(obj, tree_key, Value::Object(sub));
    } else if f.name.is_empty() {
        insert_multi(obj, key, Value::String(String::new()));
    }
}

/// tshark turns repeated keys (like `tcp.port`) into arrays.
fn insert_multi(obj: &mut Map<String, Value>, key: String, value: Value) {
    match obj.get_mut(&key) {
        None => {
            obj.insert(key, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// `YYYY-MM-DD` of a Unix time, UTC.
pub fn utc_date(secs: i64) -> String {
    let (y, m, d) = civil_date(secs);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Year, month (1-12) and day of a Unix time, UTC (civil-from-days,
/// Howard Hinnant).
pub fn civil_date(secs: i64) -> (i64, u32, u32) {
    let days = secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::utc_date(0), "1970-01-01");
        assert_eq!(super::utc_date(1_795_265_668), "2026-11-21");
    }
}
