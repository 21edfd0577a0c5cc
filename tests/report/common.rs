//! What every part of the report test shares: the report run, tshark's
//! fields, and the pot's messages read from the raw TCP payload.

use crate::support::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_capture")
        .join(name)
}

/// Every sample with lab traffic.
pub(crate) const LAB_SAMPLES: [&str; 4] = [
    "homepage_coffee.pcapng",
    "coffee_brew.pcapng",
    "coffee_418_406.pcapng",
    "coffee_https.pcapng",
];

pub(crate) fn report(file: &Path, task: &str) -> Value {
    let (out, err, code) = coffeeshark(&[
        "report",
        file.to_str().unwrap(),
        "--task",
        task,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The answer to the question containing `q` in the only task.
pub(crate) fn answer<'a>(r: &'a Value, q: &str) -> &'a Value {
    r["tasks"][0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"].as_str().unwrap().contains(q))
        .unwrap_or_else(|| panic!("no question {q:?}"))
}

/// tshark -T fields rows for a display filter (None without tshark).
pub(crate) fn fields(file: &Path, filter: &str, fields: &[&str]) -> Option<Vec<Vec<String>>> {
    let mut args = vec!["-r", file.to_str().unwrap(), "-Y", filter, "-T", "fields"];
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    let (out, code) = tshark(&args)?;
    assert_eq!(code, 0);
    Some(
        out.lines()
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect(),
    )
}

pub(crate) fn frames(file: &Path, filter: &str) -> Option<Vec<u64>> {
    Some(
        fields(file, filter, &["frame.number"])?
            .iter()
            .map(|r| r[0].parse().unwrap())
            .collect(),
    )
}

pub(crate) fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

pub(crate) fn hex_bytes(hex: &str) -> Vec<u8> {
    let hex: String = hex.chars().filter(|c| *c != ':').collect();
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

pub(crate) fn hex_text(hex: &str) -> String {
    String::from_utf8_lossy(&hex_bytes(hex)).into_owned()
}

/// Frames to or from `port` whose payload starts with `prefix`.
pub(crate) fn payload_frames(file: &Path, port_field: &str, prefix: &str) -> Option<Vec<u64>> {
    let rows = fields(
        file,
        &format!("{port_field} && tcp.len > 0"),
        &["frame.number", "tcp.payload"],
    )?;
    Some(
        rows.iter()
            .filter(|r| hex_text(&r[1]).starts_with(prefix))
            .map(|r| r[0].parse().unwrap())
            .collect(),
    )
}

/// One direction of one connection to `port`, reassembled from tshark's
/// `tcp.payload` in frame order (the samples have no retransmissions).
#[derive(Debug, Default, Clone)]
pub(crate) struct Leg {
    pub(crate) bytes: Vec<u8>,
    pub(crate) frames: Vec<u64>,
}

/// stream -> (client -> server, server -> client), for connections to `port`.
pub(crate) fn legs(file: &Path, port: u16) -> Option<BTreeMap<u64, (Leg, Leg)>> {
    let rows = fields(
        file,
        &format!("tcp.port == {port} && tcp.len > 0"),
        &["frame.number", "tcp.stream", "tcp.dstport", "tcp.payload"],
    )?;
    let mut out: BTreeMap<u64, (Leg, Leg)> = BTreeMap::new();
    for r in rows {
        let e = out.entry(r[1].parse().unwrap()).or_default();
        let leg = if r[2] == port.to_string() {
            &mut e.0
        } else {
            &mut e.1
        };
        leg.bytes.extend(hex_bytes(&r[3]));
        leg.frames.push(r[0].parse().unwrap());
    }
    Some(out)
}

/// An HTTP-style message parsed here: start line, header fields, body.
#[derive(Debug, Clone)]
pub(crate) struct Msg {
    pub(crate) start_line: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

pub(crate) fn parse_msg(bytes: &[u8]) -> Option<Msg> {
    if bytes.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(bytes);
    let (head, body_at) = match text.find("\r\n\r\n") {
        Some(i) => (&text[..i], i + 4),
        None => match text.find("\n\n") {
            Some(i) => (&text[..i], i + 2),
            None => (&text[..], text.len()),
        },
    };
    let mut lines = head.lines();
    let start_line = lines.next()?.trim_end().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Msg {
        start_line,
        headers,
        body: text.as_bytes()[body_at.min(text.len())..].to_vec(),
    })
}

/// The header lines of a request as tshark lists them (`http.request.line`).
pub(crate) fn request_header(line_field: &str, name: &str) -> Option<String> {
    line_field
        .split("\\r\\n,")
        .map(|l| l.trim_end_matches("\\r\\n"))
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

/// SYN frames to `port`: stream -> (frame, client port).
pub(crate) fn syns(file: &Path, port: u16) -> Option<BTreeMap<u64, (u64, u64)>> {
    Some(
        fields(
            file,
            &format!("tcp.flags == 0x002 && tcp.dstport == {port}"),
            &["tcp.stream", "frame.number", "tcp.srcport"],
        )?
        .iter()
        .map(|r| {
            (
                r[0].parse().unwrap(),
                (r[1].parse().unwrap(), r[2].parse().unwrap()),
            )
        })
        .collect(),
    )
}

pub(crate) const T0: u64 = 1_795_000_000_000_000_000;
pub(crate) const MS: u64 = 1_000_000;
pub(crate) const BROWSER: [u8; 4] = [10, 0, 0, 2];
pub(crate) const APP: [u8; 4] = [10, 0, 0, 1];
pub(crate) const POT: [u8; 4] = [10, 0, 0, 3];

/// Frames of several connections, in time order, written as a pcap.
pub(crate) fn write_merged(dir: &tempfile::TempDir, name: &str, conns: &[&TcpConn]) -> PathBuf {
    let mut frames: Vec<Frame> = conns.iter().flat_map(|c| c.frames.clone()).collect();
    frames.sort_by_key(|f| f.ts_nanos);
    let path = path_in(dir, name);
    write_pcap(&path, Link::Ethernet.linktype(), &frames, PCAP_US);
    keep_fixture(&path);
    path
}
