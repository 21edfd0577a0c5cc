//! `-e FIELD` with `-T json`, `-T ek` and `-T pdml` (only the named fields,
//! tshark's `write_specified_fields`) against tshark 4.0 byte for byte on
//! every bundled capture, and `-T fields`' `1` for a field without a value
//! (`FT_NONE`, such as `tcp.analysis.retransmission`), protocols and
//! `frame.time` (in the `TZ` both tools are given).
//!
//! The pot's port is left out (`!(tcp.port==5030)`): tshark reads HTCPCP
//! as HTTP, coffeeshark as HTCPCP, so their `http.*` fields differ there on
//! purpose. PDML's header (creator, time) is not compared: tshark writes
//! its own version and the time of the run.

mod support;

use support::*;

/// Fields of every kind: integers, addresses, strings with CR/LF, bytes,
/// relative and absolute times, booleans, `FT_NONE`, protocols (their text,
/// or their name for the application layers), several occurrences.
const FIELDS: [&str; 21] = [
    "frame.number",
    "frame.time",
    "eth",
    "tcp",
    "http",
    "tls",
    "ip.src",
    "eth.addr",
    "tcp.srcport",
    "tcp.flags.str",
    "frame.time_relative",
    "tcp.payload",
    "tcp.analysis.flags",
    "tcp.analysis.retransmission",
    "http.request.line",
    "http.request.uri",
    "http.response.code",
    "http.file_data",
    "tls.record.content_type",
    "tls.handshake.type",
    "websocket.opcode",
];

fn captures() -> Vec<String> {
    let mut all = Vec::new();
    for dir in ["sample_capture", "tests/captures"] {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "pcapng" || x == "pcap") {
                all.push(p.display().to_string());
            }
        }
    }
    all.sort();
    assert!(all.len() >= 15, "{all:?}");
    all
}

/// The output without PDML's header lines.
fn body(out: &str) -> String {
    out.lines()
        .filter(|l| !(l.starts_with("<?xml") || l.starts_with("<!--") || l.starts_with("<pdml")))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn args<'a>(file: &'a str, format: &'a str) -> Vec<&'a str> {
    let mut a = vec!["-n", "-r", file, "-Y", "!(tcp.port==5030)", "-T", format];
    for f in FIELDS {
        a.extend(["-e", f]);
    }
    a
}

#[test]
fn json_ek_and_pdml_with_e_are_tsharks() {
    let mut compared = 0;
    for file in captures() {
        for format in ["json", "ek", "pdml", "fields"] {
            let a = args(&file, format);
            let (ours, err, code) = coffeeshark(&a);
            assert_eq!(code, 0, "{file} -T {format}: {err}");
            let Some((theirs, _)) = tshark(&a) else {
                return;
            };
            pretty_diff(
                &body(&theirs),
                &body(&ours),
                &format!("{file} -T {format} -e ..."),
            );
            compared += 1;
        }
    }
    assert!(compared >= 60, "{compared}");
}

#[test]
fn e_without_a_format_that_takes_it_is_tsharks_error() {
    let (out, err, code) =
        coffeeshark(&["-r", "sample_capture/coffee_brew.pcapng", "-e", "ip.src"]);
    assert_eq!(out, "");
    assert_eq!(
        err.trim(),
        "coffeeshark: Output fields were specified with \"-e\", but \"-Tek, -Tfields, -Tjson or -Tpdml\" was not specified."
    );
    assert_eq!(code, 1);
    if let Some((_, theirs)) = tshark(&["-r", "sample_capture/coffee_brew.pcapng", "-e", "ip.src"])
    {
        assert_eq!(theirs, 1);
    }
}

#[test]
fn jsonl_with_e_is_one_object_a_line() {
    let (out, err, code) = coffeeshark(&[
        "read",
        "sample_capture/coffee_brew.pcapng",
        "-T",
        "jsonl",
        "-e",
        "frame.number",
        "-e",
        "http.host",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() > 10);
    for (i, l) in lines.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let layers = &v["_source"]["layers"];
        assert_eq!(layers["frame.number"][0], (i + 1).to_string());
        if let Some(host) = layers.get("http.host") {
            assert!(host[0].as_str().unwrap().contains("127.0.0.1"), "{host}");
        }
    }
}
