//! Real loopback recordings of issue 22's edge cases (`tests/captures/`,
//! recorded by `tests/captures/record_edge.sh`), compared with tshark 4.0:
//!
//! - streams whose capture starts mid-connection (cut by editcap from a
//!   longer recording: the first frame a bare ACK, data, a FIN, a SYN-ACK,
//!   a RST): `tcp.completeness` frame by frame;
//! - WebSocket after `101 Switching Protocols`;
//! - HTTP responses cut by a RST, over IPv6 loopback;
//! - every capture's packet list, line for line.
//!
//! With `COFFEESHARK_REQUIRE_TSHARK` set a missing tshark fails the tests.

mod support;

use support::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/captures/");

fn path(name: &str) -> String {
    format!("{DIR}{name}")
}

/// `-T fields` of ours and tshark's, or `None` without tshark.
fn fields_both(name: &str, fields: &[&str], filter: Option<&str>) -> Option<(String, String)> {
    let p = path(name);
    let mut args = vec!["-r", p.as_str()];
    if let Some(f) = filter {
        args.extend(["-Y", f]);
    }
    args.extend(["-T", "fields"]);
    for f in fields {
        args.extend(["-e", f]);
    }
    let (theirs, code) = tshark(&args)?;
    assert_eq!(code, 0, "tshark {args:?}");
    let mut ours_args = vec!["read"];
    ours_args.extend(&args[..]);
    ours_args.retain(|a| *a != "-r");
    let (ours, err, code) = coffeeshark(&ours_args);
    assert_eq!(code, 0, "coffeeshark {ours_args:?}: {err}");
    Some((theirs, ours))
}

#[test]
fn completeness_of_streams_starting_mid_connection() {
    // (file, flags of its first frame as tshark shows them, payload?)
    let cases = [
        ("mid_ack.pcapng", "0x0010", false),
        ("mid_data.pcapng", "0x0018", true),
        ("mid_fin.pcapng", "0x0011", false),
        ("mid_synack.pcapng", "0x0012", false),
        ("mid_rst.pcapng", "0x0014", false),
    ];
    for (name, flags, data) in cases {
        let Some((theirs, ours)) = fields_both(
            name,
            &["frame.number", "tcp.stream", "tcp.completeness"],
            None,
        ) else {
            return;
        };
        pretty_diff(&theirs, &ours, name);
        // The capture starts as its name says (so the case is tested).
        let (first, _) = tshark(&[
            "-r",
            &path(name),
            "-c",
            "1",
            "-T",
            "fields",
            "-e",
            "tcp.flags",
            "-e",
            "tcp.len",
        ])
        .unwrap();
        let mut it = first.trim().split('\t');
        assert_eq!(it.next(), Some(flags), "{name}");
        assert_eq!(it.next() != Some("0"), data, "{name}");
        // Nothing of the first segment counts, its ACK bit included.
        assert!(ours.starts_with("1\t0\t0\n2\t"), "{name}: {ours}");
    }
}

#[test]
fn packet_lists_equal_tsharks() {
    for name in [
        "keepalive.pcapng",
        "mid_ack.pcapng",
        "mid_data.pcapng",
        "mid_fin.pcapng",
        "mid_synack.pcapng",
        "mid_rst.pcapng",
        "rst.pcapng",
        "websocket.pcapng",
        "curl_http_server.pcapng",
    ] {
        let p = path(name);
        let Some((theirs, code)) = tshark(&["-r", &p]) else {
            return;
        };
        assert_eq!(code, 0);
        let (ours, err, code) = coffeeshark(&["read", &p]);
        assert_eq!(code, 0, "{err}");
        pretty_diff(&theirs, &ours, name);
    }
}

/// RFC 5952 §6 on the IPv6 recording: `[::1]:port` wherever an address and
/// a port are joined (conv's and http's JSON and tables), the address and
/// port apart too; tshark's own `-z conv,tcp` block stays as tshark writes
/// it (`::1:port`).
#[test]
fn ipv6_endpoints_are_bracketed_with_the_port() {
    let p = path("rst.pcapng");
    let Some((ports, _)) = tshark(&[
        "-r",
        &p,
        "-Y",
        "tcp.flags == 0x002",
        "-T",
        "fields",
        "-e",
        "tcp.srcport",
        "-e",
        "tcp.dstport",
    ]) else {
        return;
    };
    let ports: Vec<(u16, u16)> = ports
        .lines()
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    assert_eq!(ports.len(), 3);
    for cmd in ["conv", "http"] {
        let (out, err, code) = coffeeshark(&[cmd, &p, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 3, "{cmd}");
        for (row, (client, server)) in rows.iter().zip(&ports) {
            assert_eq!(row["client"], format!("[::1]:{client}"), "{cmd}");
            assert_eq!(row["server"], format!("[::1]:{server}"), "{cmd}");
            assert_eq!(row["client_address"], "::1", "{cmd}");
            assert_eq!(row["client_port"], *client, "{cmd}");
            assert_eq!(row["server_address"], "::1", "{cmd}");
            assert_eq!(row["server_port"], *server, "{cmd}");
        }
        let (table, _, _) = coffeeshark(&[cmd, &p]);
        for (client, _) in &ports {
            assert!(
                table.contains(&format!("[::1]:{client} ")),
                "{cmd}: {table}"
            );
        }
    }
    // tshark's block, byte for byte, keeps tshark's spelling.
    let (theirs, _) = tshark(&["-r", &p, "-q", "-z", "conv,tcp"]).unwrap();
    let (ours, _, _) = coffeeshark(&["conv", &p]);
    assert!(ours.starts_with(theirs.trim_end()), "{ours}\n---\n{theirs}");
}

/// Responses cut by a RST (IPv6 loopback, SO_LINGER 0): tshark shows no
/// HTTP message on the RST's frame (nor anywhere); `http` keeps the
/// transaction with "response incomplete (RST at frame N)", N being the
/// RST's frame as tshark numbers it.
#[test]
fn responses_cut_by_a_rst() {
    let name = "rst.pcapng";
    let fields = [
        "frame.number",
        "tcp.stream",
        "http.request.method",
        "http.response.code",
        "http.request_in",
        "http.content_length_header",
    ];
    let Some((theirs, ours)) = fields_both(name, &fields, Some("http || tcp.flags.reset == 1"))
    else {
        return;
    };
    pretty_diff(&theirs, &ours, name);
    let p = path(name);
    let (rsts, _) = tshark(&[
        "-r",
        &p,
        "-Y",
        "tcp.flags.reset == 1",
        "-T",
        "fields",
        "-e",
        "tcp.stream",
        "-e",
        "frame.number",
    ])
    .unwrap();
    let (answered, _) = tshark(&[
        "-r",
        &p,
        "-Y",
        "http.response",
        "-T",
        "fields",
        "-e",
        "tcp.stream",
    ])
    .unwrap();
    let (out, err, code) = coffeeshark(&["http", &p, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    let (table, _, _) = coffeeshark(&["http", &p]);
    let mut cut = 0;
    for line in rsts.lines() {
        let (stream, frame) = line.split_once('\t').unwrap();
        let stream: u64 = stream.parse().unwrap();
        let row = rows
            .iter()
            .find(|r| r["stream"] == stream)
            .expect("a row per stream");
        if answered.lines().any(|s| s == stream.to_string()) {
            // Answered before the RST: an ordinary row.
            assert_eq!(row["response_complete"], true);
            assert!(row["response_frame"].is_u64());
            continue;
        }
        cut += 1;
        assert_eq!(row["response_frame"], serde_json::Value::Null, "{row}");
        assert_eq!(row["response_complete"], false, "{row}");
        assert_eq!(row["response_reset_in"].to_string(), frame, "{row}");
        let text = format!("response incomplete (RST at frame {frame})");
        assert!(table.contains(&text), "{table}");
    }
    assert_eq!(cut, 2, "two of the three responses are cut");
}

const WS_FIELDS: [&str; 20] = [
    "frame.number",
    "frame.protocols",
    "websocket.fin",
    "websocket.rsv",
    "websocket.opcode",
    "websocket.mask",
    "websocket.payload_length",
    "websocket.payload_length_ext_16",
    "websocket.payload_length_ext_64",
    "websocket.masking_key",
    "websocket.payload.text",
    "websocket.payload.ping",
    "websocket.payload.pong",
    "websocket.payload.close.status_code",
    "websocket.payload.close.reason",
    "websocket.fragment",
    "websocket.fragment.count",
    "websocket.reassembled.length",
    "data.len",
    "tcp.segment",
];

/// WebSocket after `101 Switching Protocols` (a real exchange recorded by
/// edge_traffic.py): every WebSocket field of every frame equals tshark's,
/// and the capture holds each case it was recorded for, as tshark reads it.
#[test]
fn websocket_fields_equal_tsharks() {
    let name = "websocket.pcapng";
    let Some((theirs, ours)) = fields_both(name, &WS_FIELDS, None) else {
        return;
    };
    pretty_diff(&theirs, &ours, name);
    let rows: Vec<Vec<&str>> = theirs.lines().map(|l| l.split('\t').collect()).collect();
    let col = |name: &str| WS_FIELDS.iter().position(|f| *f == name).unwrap();
    let with = |field: &str, value: &str| {
        rows.iter()
            .filter(|r| r[col(field)].split(',').any(|v| v == value))
            .count()
    };
    for op in ["0", "1", "2", "8", "9", "10"] {
        assert!(with("websocket.opcode", op) > 0, "opcode {op}");
    }
    assert!(with("websocket.payload_length", "126") > 0, "16-bit length");
    assert!(with("websocket.payload_length", "127") > 0, "64-bit length");
    assert!(with("websocket.mask", "0") > 0 && with("websocket.mask", "1") > 0);
    assert!(with("websocket.payload.close.status_code", "1000") > 0);
    // A message in 3 fragments, a ping between them.
    assert_eq!(with("websocket.fragment.count", "3"), 1);
    // Frames over several segments, and two frames in one segment.
    let ws = |r: &Vec<&str>| !r[col("websocket.opcode")].is_empty();
    assert!(rows
        .iter()
        .any(|r| ws(r) && r[col("tcp.segment")].split(',').count() >= 3));
    assert!(rows
        .iter()
        .any(|r| r[col("websocket.opcode")].split(',').count() == 2));
}

#[test]
fn websocket_filters_equal_tsharks() {
    let p = path("websocket.pcapng");
    for filter in [
        "websocket",
        "!websocket && tcp.len > 0",
        "websocket.opcode == 1",
        "websocket.opcode == 0 && websocket.fin",
        "websocket.fin == 0",
        "websocket.mask == 0",
        "websocket.payload.close.status_code == 1000",
        "websocket.payload.text contains \"frag\"",
        "websocket.payload_length_ext_16 > 200",
        "websocket.payload_length_ext_64",
        "websocket.fragment == 17",
        "websocket.payload.ping",
        "data-text-lines",
        "http",
        "http.response.code == 101",
    ] {
        let Some((theirs, _)) =
            tshark(&["-r", &p, "-Y", filter, "-T", "fields", "-e", "frame.number"])
        else {
            return;
        };
        let (ours, err, code) = coffeeshark(&[
            "read",
            &p,
            "-Y",
            filter,
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]);
        assert_eq!(code, 0, "{filter}: {err}");
        assert!(!theirs.is_empty(), "{filter} matches something");
        pretty_diff(&theirs, &ours, filter);
    }
}

/// `-T json`: the WebSocket layers (`websocket`, `websocket.fragments`,
/// `data-text-lines`, `data`) equal tshark's `--no-duplicate-keys` objects.
#[test]
fn websocket_json_equals_tsharks() {
    let p = path("websocket.pcapng");
    let Some((theirs, _)) = tshark(&["-r", &p, "-T", "json", "--no-duplicate-keys"]) else {
        return;
    };
    let (ours, _, code) = coffeeshark(&["read", &p, "-T", "json"]);
    assert_eq!(code, 0);
    let theirs: serde_json::Value = serde_json::from_str(&theirs).unwrap();
    let ours: serde_json::Value = serde_json::from_str(&ours).unwrap();
    let (theirs, ours) = (theirs.as_array().unwrap(), ours.as_array().unwrap());
    assert_eq!(theirs.len(), ours.len());
    let mut compared = 0;
    for (t, o) in theirs.iter().zip(ours) {
        let (t, o) = (&t["_source"]["layers"], &o["_source"]["layers"]);
        for key in [
            "websocket",
            "websocket.fragments",
            "data-text-lines",
            "data",
        ] {
            if t.get(key).is_some() || o.get(key).is_some() {
                compared += 1;
                assert_eq!(
                    t.get(key),
                    o.get(key),
                    "frame {}: {key}",
                    t["frame"]["frame.number"]
                );
            }
        }
    }
    assert!(compared >= 30, "{compared} layers compared");
}

/// The upgraded stream stays out of `http`'s transactions: one row, the
/// 101, marked upgraded, with tshark's request and response frames.
#[test]
fn websocket_stream_is_one_upgraded_transaction() {
    let p = path("websocket.pcapng");
    let Some((frames, _)) = tshark(&[
        "-r",
        &p,
        "-Y",
        "http.response.code == 101",
        "-T",
        "fields",
        "-e",
        "http.request_in",
        "-e",
        "frame.number",
    ]) else {
        return;
    };
    let (req, resp) = frames.trim().split_once('\t').unwrap();
    let (out, err, code) = coffeeshark(&["http", &p, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0]["request_frame"].to_string(), req);
    assert_eq!(rows[0]["response_frame"].to_string(), resp);
    assert_eq!(rows[0]["status"], 101);
    assert_eq!(rows[0]["upgrade"], "websocket");
    let (table, _, _) = coffeeshark(&["http", &p]);
    assert!(table.contains("(upgraded to websocket)"), "{table}");
}

/// curl against Python's http.server (HTTP/1.1 keep-alive over IPv6
/// loopback: 200, 304, 404, HEAD, a form POST answered 501, a directory
/// listing): the HTTP fields of every frame equal tshark's, among them
/// `http.prev_request_in` on responses (the previous request of the one
/// answered, as tshark 4.0 shows it) and `urlencoded-form` in
/// frame.protocols. The keep-alive and RST recordings too.
#[test]
fn http_fields_equal_tsharks() {
    let fields = [
        "frame.number",
        "frame.protocols",
        "http.request.method",
        "http.request.uri",
        "http.request.full_uri",
        "http.response.code",
        "http.response.phrase",
        "http.content_length_header",
        "http.content_type",
        "http.request_in",
        "http.time",
        "http.prev_request_in",
        "http.prev_response_in",
        "http.response_for.uri",
        "http.request_number",
        "http.response_number",
        "http.host",
        "http.user_agent",
        "http.file_data",
        "http.last_modified",
        "http.server",
        "http.date",
    ];
    for name in ["curl_http_server.pcapng", "keepalive.pcapng", "rst.pcapng"] {
        let Some((theirs, ours)) = fields_both(name, &fields, None) else {
            return;
        };
        pretty_diff(&theirs, &ours, name);
    }
    // The cases the recording was made for, as tshark reads it.
    let p = path("curl_http_server.pcapng");
    let (codes, _) = tshark(&[
        "-r",
        &p,
        "-Y",
        "http.response",
        "-T",
        "fields",
        "-e",
        "http.response.code",
    ])
    .unwrap();
    for code in ["200", "304", "404", "501"] {
        assert!(codes.lines().any(|c| c == code), "{code}: {codes}");
    }
    let (prev, _) = tshark(&[
        "-r",
        &p,
        "-Y",
        "http.response && http.prev_request_in",
        "-T",
        "fields",
        "-e",
        "frame.number",
    ])
    .unwrap();
    assert!(!prev.is_empty());
    // `http`: one row per request, paired as tshark pairs them.
    let (pairs, _) = tshark(&[
        "-r",
        &p,
        "-Y",
        "http.response",
        "-T",
        "fields",
        "-e",
        "http.request_in",
        "-e",
        "frame.number",
    ])
    .unwrap();
    let (out, _, _) = coffeeshark(&["http", &p, "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ours: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}\t{}", r["request_frame"], r["response_frame"]))
        .collect();
    let theirs: Vec<&str> = pairs.lines().collect();
    assert_eq!(theirs, ours);
}

/// `-T json`'s `http` layer equals tshark's on the HTTP recordings, but for
/// two listed differences (docs/CLI.md, "Known differences from tshark"): the
/// start line's chat-level expert info (`_ws.expert`), which coffeeshark
/// does not write, and our `[Request had If-…]` lines on a response.
#[test]
fn http_json_layers_equal_tsharks() {
    fn strip(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => serde_json::Value::Object(
                m.iter()
                    .filter(|(k, _)| *k != "_ws.expert" && !k.starts_with("[Request had "))
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    let mut compared = 0;
    for name in ["curl_http_server.pcapng", "keepalive.pcapng", "rst.pcapng"] {
        let p = path(name);
        let Some((theirs, _)) = tshark(&["-r", &p, "-T", "json", "--no-duplicate-keys"]) else {
            return;
        };
        let (ours, _, _) = coffeeshark(&["read", &p, "-T", "json"]);
        let theirs: serde_json::Value = serde_json::from_str(&theirs).unwrap();
        let ours: serde_json::Value = serde_json::from_str(&ours).unwrap();
        for (t, o) in theirs
            .as_array()
            .unwrap()
            .iter()
            .zip(ours.as_array().unwrap())
        {
            let (t, o) = (
                &t["_source"]["layers"]["http"],
                &o["_source"]["layers"]["http"],
            );
            if t.is_null() && o.is_null() {
                continue;
            }
            compared += 1;
            assert_eq!(strip(t), strip(o), "{name}");
        }
    }
    assert!(compared >= 20, "{compared}");
}
