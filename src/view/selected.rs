//! `-e FIELD ...` with `-T json`, `-T jsonl`, `-T ek` and `-T pdml`: each
//! packet with only the named fields, as tshark 4.0's
//! `write_specified_fields` writes them.
//!
//! The values are the strings `-T fields` prints (before its `-E escape`),
//! one per occurrence (`-E occurrence` applies), and a field without a
//! value in the packet is left out:
//!
//! - JSON: `"layers": {"ip.src": ["127.0.0.1"], ...}` in the usual
//!   `_index` / `_type` / `_score` / `_source` object, indented as tshark
//!   indents it (`jsonl`, ours, writes the same object on one line);
//! - EK: the usual index line, then `"layers":{"ip_src":["127.0.0.1"]}`
//!   (`.` written `_`);
//! - PDML: the `geninfo` protocol, then `<field name="ip.src"
//!   value="127.0.0.1"/>` per value, at the packet's level (and two blank
//!   lines after each packet, as tshark writes them).
//!
//! Strings are escaped as Wireshark's `json_dumper` does (`</` as `<\/`),
//! and as its PDML writer does (line ends kept).

use super::ek::write_string;
use crate::model::FrameInfo;

/// One packet's values: for each `-e` field (in order), its name and its
/// printed values.
pub type Values<'a> = [(&'a str, Vec<String>)];

/// One packet as a `-T json` array element (no separator, no final
/// newline) or, with `pretty` false, as one `jsonl` line (no newline).
pub fn json(out: &mut String, frame: &FrameInfo, values: &Values<'_>, pretty: bool) {
    let date = super::json::utc_date(frame.ts.secs);
    if !pretty {
        out.push_str("{\"_index\":\"packets-");
        out.push_str(&date);
        out.push_str("\",\"_type\":\"doc\",\"_score\":null,\"_source\":{\"layers\":{");
        compact_members(out, values, |n| n.to_string());
        out.push_str("}}}");
        return;
    }
    out.push_str("  {\n    \"_index\": \"packets-");
    out.push_str(&date);
    out.push_str("\",\n    \"_type\": \"doc\",\n    \"_score\": null,\n    \"_source\": {\n      \"layers\": {");
    let mut any = false;
    for (name, vals) in values.iter().filter(|(_, v)| !v.is_empty()) {
        out.push_str(if any { ",\n        " } else { "\n        " });
        any = true;
        write_string(out, name);
        out.push_str(": [");
        for (j, v) in vals.iter().enumerate() {
            out.push_str(if j > 0 {
                ",\n          "
            } else {
                "\n          "
            });
            write_string(out, v);
        }
        out.push_str("\n        ]");
    }
    out.push_str(if any {
        "\n      }\n    }\n  }"
    } else {
        "}\n    }\n  }"
    });
}

/// One packet's two `-T ek` lines (each with its newline).
pub fn ek(out: &mut String, frame: &FrameInfo, values: &Values<'_>) {
    super::ek::head(out, frame);
    compact_members(out, values, |n| n.replace('.', "_"));
    out.push_str("}}\n");
}

/// `"key":["v1","v2"],...` for the fields with values, on one line.
fn compact_members(out: &mut String, values: &Values<'_>, key: impl Fn(&str) -> String) {
    let present = values.iter().filter(|(_, v)| !v.is_empty());
    for (i, (name, vals)) in present.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, &key(name));
        out.push_str(":[");
        for (j, v) in vals.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            write_string(out, v);
        }
        out.push(']');
    }
}

/// One `<packet>` of `-T pdml`.
pub fn pdml(out: &mut String, frame: &FrameInfo, values: &Values<'_>) {
    out.push_str("<packet>\n");
    super::pdml::geninfo(out, frame);
    for (name, vals) in values {
        for v in vals {
            out.push_str("  <field name=\"");
            super::pdml::escape(out, name);
            out.push_str("\" value=\"");
            super::pdml::escape(out, v);
            out.push_str("\"/>\n");
        }
    }
    // tshark 4.0 ends each packet of this form with two blank lines.
    out.push_str("</packet>\n\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::time::{Timestamp, TsPrecision};

    fn frame() -> FrameInfo {
        FrameInfo {
            number: 7,
            ts: Timestamp {
                secs: 1_795_269_237,
                nanos: 319_724_506,
            },
            has_ts: true,
            precision: TsPrecision::Nanos,
            rel_nanos: 0,
            delta_nanos: 0,
            orig_len: 74,
            cap_len: 74,
            link_type: 1,
            interface_id: 0,
            section: 1,
            file_offset: 0,
        }
    }

    fn values() -> Vec<(&'static str, Vec<String>)> {
        vec![
            ("frame.number", vec!["7".into()]),
            ("http.host", vec![]),
            ("ip.addr", vec!["127.0.0.1".into(), "</x>".into()]),
        ]
    }

    #[test]
    fn json_pretty_and_line() {
        let mut s = String::new();
        json(&mut s, &frame(), &values(), true);
        let want = "  {\n    \"_index\": \"packets-2026-11-21\",\n    \"_type\": \"doc\",\n    \"_score\": null,\n    \"_source\": {\n      \"layers\": {\n        \"frame.number\": [\n          \"7\"\n        ],\n        \"ip.addr\": [\n          \"127.0.0.1\",\n          \"<\\/x>\"\n        ]\n      }\n    }\n  }";
        assert_eq!(s, want);
        let mut line = String::new();
        json(&mut line, &frame(), &values(), false);
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["_source"]["layers"]["ip.addr"][1], "</x>");
        assert!(parsed["_source"]["layers"].get("http.host").is_none());
    }

    #[test]
    fn json_without_values_has_empty_layers() {
        let mut s = String::new();
        json(&mut s, &frame(), &[("http.host", vec![])], true);
        assert!(s.ends_with("\"layers\": {}\n    }\n  }"), "{s}");
    }

    #[test]
    fn ek_keys_use_underscores() {
        let mut s = String::new();
        ek(&mut s, &frame(), &values());
        let second = s.lines().nth(1).unwrap();
        assert!(
            second.ends_with(
                "\"layers\":{\"frame_number\":[\"7\"],\"ip_addr\":[\"127.0.0.1\",\"<\\/x>\"]}}"
            ),
            "{second}"
        );
    }

    #[test]
    fn pdml_fields_follow_geninfo() {
        let mut s = String::new();
        pdml(&mut s, &frame(), &values());
        assert!(s.contains("<field name=\"frame.number\" value=\"7\"/>\n  <field name=\"ip.addr\" value=\"127.0.0.1\"/>\n  <field name=\"ip.addr\" value=\"&lt;/x&gt;\"/>\n</packet>\n\n\n"), "{s}");
    }
}
