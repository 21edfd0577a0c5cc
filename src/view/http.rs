//! `coffeeshark http`: the transactions table, one row per request and the
//! response that answered it (HTTP and HTCPCP together).
//!
//! Rows are rendered one at a time as the model lets them out
//! ([`crate::model::transactions`]), so the output streams: `table` has
//! fixed column widths (a longer value pushes the rest of its line right,
//! the URI comes last), `json` is one array of objects exactly as
//! `serde_json::to_string_pretty` prints it, `csv` has a header line.
//! Missing values are `-` in the table, `null` in JSON, empty in CSV.

use crate::dissect::http::Version;
use crate::flow::Endpoint;
use crate::model::transactions::Transaction;
use crate::source::time::{push_spaces, write_seconds, write_seconds_right};
use serde_json::{json, Value};
use std::fmt::Write;

/// Output formats of `coffeeshark http`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Streams rows out in one format.
#[derive(Debug)]
pub struct Renderer {
    format: Format,
    rows: u64,
}

const CSV_HEADER: &str = "stream,protocol,request_frame,response_frame,client,server,method,uri,request_version,status,reason,response_version,content_type,body_length,time,if_none_match,if_modified_since,request_complete,response_complete,decrypted,client_address,client_port,server_address,server_port,response_reset_in,upgrade\n";

impl Renderer {
    pub fn new(format: Format) -> Self {
        Renderer { format, rows: 0 }
    }

    /// Rows rendered so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// What comes before the first row.
    pub fn begin(&self, out: &mut String) {
        match self.format {
            Format::Table => {
                let _ = writeln!(
                    out,
                    "{:>6}  {:>7}  {:>8}  {:<21}  {:<21}  {:<6}  {:<8}  {:>6}  {:<22}  {:<24}  {:>8}  {:>11}  URI",
                    "Stream",
                    "Request",
                    "Response",
                    "Client",
                    "Server",
                    "Proto",
                    "Method",
                    "Status",
                    "Reason",
                    "Content-Type",
                    "Length",
                    "Time"
                );
            }
            Format::Json => out.push('['),
            Format::Csv => out.push_str(CSV_HEADER),
        }
    }

    /// One row.
    pub fn row(&mut self, out: &mut String, t: &Transaction) {
        match self.format {
            Format::Table => table_row(out, t),
            Format::Json => {
                out.push_str(if self.rows == 0 { "\n" } else { ",\n" });
                let text = serde_json::to_string_pretty(&json_record(t)).unwrap_or_default();
                for (i, line) in text.lines().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str("  ");
                    out.push_str(line);
                }
            }
            Format::Csv => csv_row(out, t),
        }
        self.rows += 1;
    }

    /// What comes after the last row.
    pub fn end(&self, out: &mut String) {
        if self.format == Format::Json {
            out.push_str(if self.rows == 0 { "]\n" } else { "\n]\n" });
        }
    }
}

/// `addr:port` (IPv6 not bracketed, as tshark's conversation tables).
fn write_endpoint(out: &mut String, e: Option<Endpoint>, v6: bool) {
    let Some(e) = e else {
        return;
    };
    // IPv6 in brackets (`[::1]:49374`, RFC 5952 §6): the port splits off.
    if v6 {
        let _ = write!(out, "[{}]", std::net::Ipv6Addr::from(e.addr));
    } else {
        crate::model::summary::write_ipv4(out, [e.addr[0], e.addr[1], e.addr[2], e.addr[3]]);
    }
    out.push(':');
    out.push_str(itoa::Buffer::new().format(e.port));
}

/// The address alone (IPv6 unbracketed).
fn address_text(e: &Endpoint, v6: bool) -> String {
    crate::report::addr_text(e, v6)
}

fn endpoint_text(e: Option<Endpoint>, v6: bool) -> Option<String> {
    e.map(|_| {
        let mut s = String::with_capacity(24);
        write_endpoint(&mut s, e, v6);
        s
    })
}

fn seconds(nanos: i128) -> String {
    let mut s = String::with_capacity(12);
    write_seconds(&mut s, nanos, 9);
    s
}

/// Column widths of the table (the URI, last, is not padded).
const STREAM: usize = 6;
const REQUEST: usize = 7;
const RESPONSE: usize = 8;
const ENDPOINT: usize = 21;
const PROTO: usize = 6;
const METHOD: usize = 8;
const STATUS: usize = 6;
const REASON: usize = 22;
const CONTENT_TYPE: usize = 24;
const LENGTH: usize = 8;
const TIME: usize = 11;

/// Between two cells.
const GAP: &str = "  ";

/// Appends `s` (or `-` when empty) padded to `width` characters, then the gap.
fn cell(out: &mut String, s: &str, width: usize, right: bool) {
    let s = if s.is_empty() { "-" } else { s };
    // Cells are mostly short ASCII: bytes are characters.
    let chars = if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    };
    let fill = width.saturating_sub(chars);
    if right {
        push_spaces(out, fill);
    }
    out.push_str(s);
    if !right {
        push_spaces(out, fill);
    }
    out.push_str(GAP);
}

/// A right-aligned number cell (`-` when there is none).
fn number_cell(out: &mut String, n: Option<u64>, width: usize) {
    let mut buf = itoa::Buffer::new();
    cell(out, n.map_or("", |n| buf.format(n)), width, true);
}

/// An endpoint cell (`-` when unknown), left-aligned.
fn endpoint_cell(out: &mut String, e: Option<Endpoint>, v6: bool) {
    let start = out.len();
    write_endpoint(out, e, v6);
    if out.len() == start {
        return cell(out, "", ENDPOINT, false);
    }
    // Addresses are ASCII: bytes are characters.
    push_spaces(out, ENDPOINT.saturating_sub(out.len() - start));
    out.push_str(GAP);
}

/// The Reason cell: the phrase, or what is missing, and whether a part was
/// cut by the end of the capture.
fn reason_cell(out: &mut String, t: &Transaction) {
    if let Some(n) = t.response.as_ref().and_then(|r| r.reset_in) {
        let text = format!("response incomplete (RST at frame {n})");
        return cell(out, &text, REASON, false);
    }
    if let Some(u) = t.response.as_ref().and_then(|r| r.upgrade.as_deref()) {
        let text = format!("Switching Protocols (upgraded to {u})");
        return cell(out, &text, REASON, false);
    }
    let phrase = match &t.response {
        None => "[no response]",
        Some(r) if r.code.is_none() => "[no status line]",
        Some(r) => r.reason.as_str(),
    };
    let incomplete = t.response.as_ref().is_some_and(|r| !r.complete)
        || t.request.as_ref().is_some_and(|r| !r.complete);
    if !incomplete {
        return cell(out, phrase, REASON, false);
    }
    const CUT: &str = " [incomplete]";
    out.push_str(phrase);
    out.push_str(CUT);
    push_spaces(
        out,
        REASON.saturating_sub(phrase.chars().count() + CUT.len()),
    );
    out.push_str(GAP);
}

/// One table row, written straight into `out` (no string per cell).
fn table_row(out: &mut String, t: &Transaction) {
    let req = t.request.as_ref();
    let resp = t.response.as_ref();
    number_cell(out, t.stream.map(u64::from), STREAM);
    number_cell(out, req.and_then(|r| frame(r.frame)), REQUEST);
    number_cell(out, resp.and_then(|r| frame(r.frame)), RESPONSE);
    endpoint_cell(out, t.client, t.v6);
    endpoint_cell(out, t.server, t.v6);
    // HTTP decrypted from TLS reads as HTTPS.
    let proto = if t.decrypted {
        "HTTPS"
    } else {
        t.protocol.name()
    };
    cell(out, proto, PROTO, false);
    cell(out, req.map_or("", |r| r.method.as_str()), METHOD, false);
    number_cell(out, resp.and_then(|r| r.code).map(u64::from), STATUS);
    reason_cell(out, t);
    cell(
        out,
        resp.and_then(|r| r.content_type.as_deref()).unwrap_or(""),
        CONTENT_TYPE,
        false,
    );
    number_cell(out, resp.map(|r| r.body_len), LENGTH);
    match resp.and_then(|r| r.time_nanos) {
        Some(nanos) => write_seconds_right(out, nanos, 9, TIME),
        None => cell_right_dash(out, TIME),
    }
    out.push_str(GAP);
    out.push_str(req.map_or("-", |r| r.uri.as_str()));
    out.push('\n');
}

/// `-` right-aligned in `width`, without the gap.
fn cell_right_dash(out: &mut String, width: usize) {
    push_spaces(out, width.saturating_sub(1));
    out.push('-');
}

/// A frame number; 0 means none is known.
fn frame(n: u64) -> Option<u64> {
    (n != 0).then_some(n)
}

fn version_text(v: Option<Version>) -> Option<String> {
    v.map(|v| v.to_string())
}

/// The JSON object of one row (also the CSV's columns, in this order).
pub fn json_record(t: &Transaction) -> Value {
    let req = t.request.as_ref();
    let resp = t.response.as_ref();
    json!({
        "stream": t.stream,
        "protocol": t.protocol.name(),
        "request_frame": req.and_then(|r| frame(r.frame)),
        "response_frame": resp.and_then(|r| frame(r.frame)),
        "client": endpoint_text(t.client, t.v6),
        "server": endpoint_text(t.server, t.v6),
        "method": req.map(|r| r.method.as_str()),
        "uri": req.map(|r| r.uri.as_str()),
        "request_version": version_text(req.and_then(|r| r.version)),
        "status": resp.and_then(|r| r.code),
        "reason": resp.filter(|r| r.code.is_some()).map(|r| r.reason.as_str()),
        "response_version": version_text(resp.and_then(|r| r.version)),
        "content_type": resp.and_then(|r| r.content_type.as_deref()),
        "body_length": resp.map(|r| r.body_len),
        "time": resp.and_then(|r| r.time_nanos).map(seconds),
        "if_none_match": req.and_then(|r| r.if_none_match.as_deref()),
        "if_modified_since": req.and_then(|r| r.if_modified_since.as_deref()),
        "request_complete": req.map(|r| r.complete),
        "response_complete": resp.map(|r| r.complete),
        // Last, so that the earlier columns keep their places.
        "decrypted": t.decrypted,
        // The endpoints' parts, for scripts that do not split `[v6]:port`.
        "client_address": t.client.map(|e| address_text(&e, t.v6)),
        "client_port": t.client.map(|e| e.port),
        "server_address": t.server.map(|e| address_text(&e, t.v6)),
        "server_port": t.server.map(|e| e.port),
        // The RST that cut the response off (no frame shows the response).
        "response_reset_in": resp.and_then(|r| r.reset_in),
        // A 101's new protocol (`websocket`): the stream's later data is
        // no HTTP transaction.
        "upgrade": resp.and_then(|r| r.upgrade.as_deref()),
    })
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn csv_row(out: &mut String, t: &Transaction) {
    let Value::Object(map) = json_record(t) else {
        return;
    };
    for (i, (_, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match v {
            Value::Null => {}
            Value::String(s) => csv_field(out, s),
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Protocol;
    use crate::model::transactions::tests::{ep, V11};
    use crate::model::transactions::{RequestPart, ResponsePart};

    fn rows() -> Vec<Transaction> {
        let page = Transaction {
            stream: Some(0),
            protocol: Protocol::Http,
            decrypted: false,
            client: Some(ep(39700)),
            server: Some(ep(5031)),
            v6: false,
            request: Some(RequestPart {
                frame: 4,
                method: "GET".into(),
                uri: "/?method=brew&message=start&pots=ducky,tea".into(),
                version: Some(V11),
                if_none_match: None,
                if_modified_since: None,
                complete: true,
            }),
            response: Some(ResponsePart {
                frame: 16,
                version: Some(V11),
                code: Some(302),
                reason: "FOUND".into(),
                content_type: Some("text/html; charset=utf-8".into()),
                body_len: 189,
                time_nanos: Some(1_666_746),
                complete: true,
                reset_in: None,
                upgrade: None,
            }),
            matched: true,
        };
        let brew = Transaction {
            stream: Some(1),
            protocol: Protocol::Htcpcp,
            decrypted: false,
            client: Some(ep(54504)),
            server: Some(ep(5030)),
            v6: false,
            request: Some(RequestPart {
                frame: 9,
                method: "BREW".into(),
                uri: "coffee://ducky".into(),
                version: Some(V11),
                if_none_match: None,
                if_modified_since: None,
                complete: true,
            }),
            response: None,
            matched: true,
        };
        let mut v6 = page.clone();
        v6.v6 = true;
        v6.stream = Some(2);
        v6.client = Some(Endpoint {
            addr: std::net::Ipv6Addr::LOCALHOST.octets(),
            port: 40000,
        });
        v6.server = Some(Endpoint {
            addr: std::net::Ipv6Addr::LOCALHOST.octets(),
            port: 5031,
        });
        let bare = Transaction {
            stream: None,
            protocol: Protocol::Htcpcp,
            decrypted: false,
            client: None,
            server: None,
            v6: false,
            request: None,
            response: Some(ResponsePart {
                frame: 30,
                version: None,
                code: None,
                reason: String::new(),
                content_type: None,
                body_len: 2,
                time_nanos: None,
                complete: false,
                reset_in: None,
                upgrade: None,
            }),
            matched: true,
        };
        vec![page, brew, v6, bare]
    }

    fn render(format: Format, rows: &[Transaction]) -> String {
        let mut r = Renderer::new(format);
        let mut out = String::new();
        r.begin(&mut out);
        for t in rows {
            r.row(&mut out, t);
        }
        r.end(&mut out);
        assert_eq!(r.rows(), rows.len() as u64);
        out
    }

    #[test]
    fn json_streams_what_serde_json_prints_for_the_whole_array() {
        for n in 0..=4 {
            let rows = &rows()[..n];
            let records: Vec<Value> = rows.iter().map(json_record).collect();
            let whole = serde_json::to_string_pretty(&records).unwrap() + "\n";
            assert_eq!(render(Format::Json, rows), whole, "{n} rows");
        }
        let v: Value = serde_json::from_str(&render(Format::Json, &rows())).unwrap();
        let page = &v[0];
        assert_eq!(page["request_frame"], 4);
        assert_eq!(page["response_frame"], 16);
        assert_eq!(page["client"], "127.0.0.1:39700");
        assert_eq!(page["server"], "127.0.0.1:5031");
        assert_eq!(page["protocol"], "HTTP");
        assert_eq!(page["status"], 302);
        assert_eq!(page["reason"], "FOUND");
        assert_eq!(page["time"], "0.001666746");
        assert_eq!(page["body_length"], 189);
        assert_eq!(page["request_version"], "HTTP/1.1");
        let brew = &v[1];
        assert_eq!(brew["protocol"], "HTCPCP");
        assert_eq!(brew["response_frame"], Value::Null);
        assert_eq!(brew["status"], Value::Null);
        assert_eq!(v[2]["client"], "[::1]:40000");
        assert_eq!(v[2]["client_address"], "::1");
        assert_eq!(v[2]["client_port"], 40000);
        assert_eq!(v[3]["request_frame"], Value::Null);
        assert_eq!(v[3]["stream"], Value::Null);
        assert_eq!(v[3]["response_complete"], false);
    }

    #[test]
    fn table_columns_line_up_and_say_what_is_missing() {
        let out = render(Format::Table, &rows());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5);
        let header = lines[0];
        // Every fixed column of the rows starts where its header does.
        for (name, row, value) in [
            ("Client", 1, "127.0.0.1:39700"),
            ("Server", 1, "127.0.0.1:5031"),
            ("Proto", 2, "HTCPCP"),
            ("Method", 2, "BREW"),
            ("Reason", 1, "FOUND"),
            ("Reason", 2, "[no response]"),
            ("Reason", 4, "[no status line] [incomplete]"),
            ("Content-Type", 1, "text/html; charset=utf-8"),
            ("URI", 1, "/?method=brew&message=start&pots=ducky,tea"),
            ("URI", 2, "coffee://ducky"),
        ] {
            let col = header.find(name).unwrap();
            assert_eq!(
                lines[row].get(col..col + value.len()),
                Some(value),
                "{name} of line {row}: {}",
                lines[row]
            );
        }
        // Right-aligned numbers end where their header ends.
        for (name, row, value) in [
            ("Stream", 1, "0"),
            ("Request", 1, "4"),
            ("Response", 1, "16"),
            ("Status", 1, "302"),
            ("Length", 1, "189"),
            ("Time", 1, "0.001666746"),
            ("Response", 2, "-"),
            ("Request", 4, "-"),
            ("Stream", 4, "-"),
        ] {
            let end = header.find(name).unwrap() + name.len();
            assert_eq!(
                lines[row].get(end - value.len()..end),
                Some(value),
                "{name} of line {row}: {}",
                lines[row]
            );
        }
    }

    #[test]
    fn csv_has_the_json_columns_and_quotes_commas() {
        let out = render(Format::Csv, &rows());
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(CSV_HEADER.trim_end()));
        let names: Vec<String> = json_record(&rows()[0])
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(CSV_HEADER.trim_end().split(',').collect::<Vec<_>>(), names);
        assert_eq!(
            lines.next(),
            Some("0,HTTP,4,16,127.0.0.1:39700,127.0.0.1:5031,GET,\"/?method=brew&message=start&pots=ducky,tea\",HTTP/1.1,302,FOUND,HTTP/1.1,text/html; charset=utf-8,189,0.001666746,,,true,true,false,127.0.0.1,39700,127.0.0.1,5031,,")
        );
        assert_eq!(
            lines.next(),
            Some("1,HTCPCP,9,,127.0.0.1:54504,127.0.0.1:5030,BREW,coffee://ducky,HTTP/1.1,,,,,,,,,true,,false,127.0.0.1,54504,127.0.0.1,5030,,")
        );
    }
}
