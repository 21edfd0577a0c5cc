//! Which servers are the web app and the pot: detected on recorded
//! captures with the lab's and moved ports, or given by flags.

use crate::common::*;
use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

// ------------------------------------------------------------- roles

fn roles_capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/captures/roles")
        .join(name)
}

fn report_args(file: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["report", file.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let (out, err, code) = coffeeshark(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// Every answer as (task, question, answerable, text), the text with the
/// web app's and the pot's ports written `WEB` and `POT` and ephemeral
/// ports (five digits) `N`: what two recordings of the same visit share.
fn normalised_answers(r: &Value, web: u16, pot: u16) -> Vec<(u64, String, bool, String)> {
    let five = |s: &str| {
        let mut out = String::new();
        let mut digits = String::new();
        for ch in s.chars().chain(std::iter::once(' ')) {
            if ch.is_ascii_digit() {
                digits.push(ch);
                continue;
            }
            if digits.len() == 5 {
                out.push('N');
            } else {
                out.push_str(&digits);
            }
            digits.clear();
            out.push(ch);
        }
        out.pop();
        out
    };
    let mut v = Vec::new();
    for t in r["tasks"].as_array().unwrap() {
        for a in t["answers"].as_array().unwrap() {
            let text = a["answer"]
                .as_str()
                .unwrap()
                .replace(&web.to_string(), "WEB")
                .replace(&pot.to_string(), "POT");
            v.push((
                t["task"].as_u64().unwrap(),
                a["question"].as_str().unwrap().to_string(),
                a["answerable"].as_bool().unwrap(),
                five(&text),
            ));
        }
    }
    v
}

/// The first frame matching a tshark filter.
fn first_frame(file: &Path, filter: &str) -> Option<u64> {
    Some(*frames(file, filter)?.first().expect("a frame matches"))
}

#[test]
fn roles_moved_ports_answer_as_the_lab_ports() {
    // The same visit recorded twice on real loopback (record.sh): the
    // servers on the lab's 5031/5030, then on 6131/6130.
    let default = roles_capture("lab_default.pcapng");
    let moved = roles_capture("lab_moved.pcapng");
    let d = report_args(&default, &[]);
    let m = report_args(&moved, &[]);
    for (r, web, pot) in [(&d, 5031, 5030), (&m, 6131, 6130)] {
        assert_eq!(r["roles"]["web_app"]["port"], web);
        assert_eq!(r["roles"]["web_app"]["found"], "detected");
        assert_eq!(r["roles"]["pot"]["port"], pot);
        assert_eq!(r["roles"]["pot"]["found"], "detected");
    }
    let (nd, nm) = (
        normalised_answers(&d, 5031, 5030),
        normalised_answers(&m, 6131, 6130),
    );
    assert_eq!(nd.len(), nm.len());
    for (a, b) in nd.iter().zip(&nm) {
        assert_eq!(a, b);
    }
    // Codes and counts are there to compare: the visit's 418, 406, 302, 304.
    let all: String = nm.iter().map(|a| a.3.clone()).collect();
    for code in ["418", "406", "302", "304"] {
        assert!(all.contains(code), "{code}");
    }
    assert!(nm.iter().filter(|a| a.2).count() > 15);
    // Nothing in the moved report names the lab's ports.
    let text = serde_json::to_string(&m).unwrap();
    assert!(!text.contains("5030") && !text.contains("5031"));
    let (md, _, code) = coffeeshark(&["report", moved.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!md.contains("5030") && !md.contains("5031"));
    // The roles cite the frames that show them, as tshark numbers them: the
    // first HTCPCP request to the pot (the first payload to its port: the
    // web app speaks first), the first HTTP request to the web app.
    let web_frames = u64s(&m["roles"]["web_app"]["frames"]);
    let pot_frames = u64s(&m["roles"]["pot"]["frames"]);
    if let Some(first_pot) = first_frame(&moved, "tcp.dstport == 6130 && tcp.len > 0") {
        assert_eq!(pot_frames, vec![first_pot]);
        let first_http = first_frame(&moved, "tcp.dstport == 6131 && http.request").unwrap();
        assert_eq!(web_frames[0], first_http);
        // The browser request that waited, then the pot message.
        assert!(web_frames.contains(&first_pot), "{web_frames:?}");
        let how = m["roles"]["web_app"]["how"].as_str().unwrap();
        assert!(how.contains(&format!("#{first_pot}")), "{how}");
        assert!(how.contains("6130"), "{how}");
    }
    assert!(md.contains("## Roles"));
    assert!(
        md.contains(&format!(
            "- Web app: TCP 6131 (detected) [#{}",
            web_frames[0]
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "- Coffee pot: TCP 6130 (detected) [#{}]",
            pot_frames[0]
        )),
        "{md}"
    );
    let (html, _, _) = coffeeshark(&["report", moved.to_str().unwrap(), "--format", "html"]);
    assert!(html.contains("<h2>Roles</h2>") && html.contains("Web app: TCP 6131 (detected)"));
    // The diagram's lanes follow the roles.
    let (txt, _, code) = coffeeshark(&["diagram", moved.to_str().unwrap(), "--format", "txt"]);
    assert_eq!(code, 0);
    let head = txt.lines().nth(1).unwrap_or("");
    for lane in ["Browser", "Web app", "Coffee pot"] {
        assert!(head.contains(lane), "{head}");
    }
}

#[test]
fn roles_flags_override_detection() {
    let moved = roles_capture("lab_moved.pcapng");
    let detected = report_args(&moved, &[]);
    let flagged = report_args(&moved, &["--web-port", "6131", "--pot-port", "6130"]);
    assert_eq!(flagged["roles"]["web_app"]["found"], "flag");
    assert_eq!(flagged["roles"]["pot"]["found"], "flag");
    assert_eq!(detected["tasks"], flagged["tasks"]);
    // A flag that names a port without the server: the browser's questions
    // are about that port, and cannot be answered.
    let default = roles_capture("lab_default.pcapng");
    let r = report_args(&default, &["--web-port", "6131", "--task", "3"]);
    assert_eq!(r["roles"]["web_app"]["port"], 6131);
    assert_eq!(r["roles"]["web_app"]["found"], "flag");
    assert_eq!(r["roles"]["pot"]["port"], 5030);
    assert_eq!(r["roles"]["pot"]["found"], "detected");
    let q = answer(&r, "browser and the web app");
    assert_eq!(q["answerable"], false);
    assert!(q["answer"].as_str().unwrap().contains("6131"), "{q}");
    assert_eq!(answer(&r, "HTCPCP requests")["answerable"], true);
    let how = r["roles"]["web_app"]["how"].as_str().unwrap();
    assert!(how.contains("--web-port 6131"), "{how}");
    // A pipe is read once: no detection, the flags' ports or the lab's.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} report <(cat {}) --format json --task 3 --pot-port 6130",
            env!("CARGO_BIN_EXE_coffeeshark"),
            moved.display()
        ))
        .output()
        .expect("bash");
    assert!(out.status.success(), "{out:?}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["roles"]["pot"]["found"], "flag");
    assert_eq!(r["roles"]["web_app"]["found"], "default");
    assert_eq!(r["roles"]["web_app"]["port"], 5031);
    assert_eq!(answer(&r, "HTCPCP requests")["answerable"], true);
    // The diagram takes the flags too: 5031 is then an unnamed server.
    let (txt, _, code) = coffeeshark(&[
        "diagram",
        default.to_str().unwrap(),
        "--format",
        "txt",
        "--web-port",
        "6131",
    ]);
    assert_eq!(code, 0);
    assert!(txt.lines().nth(1).unwrap_or("").contains("Server"), "{txt}");
}

#[test]
fn roles_lone_http_server_is_the_web_app() {
    // python3 -m http.server (HTTP/1.1 keep-alive) on 8010 and curl.
    let file = roles_capture("lone_http.pcapng");
    let r = report_args(&file, &[]);
    assert_eq!(r["roles"]["web_app"]["port"], 8010);
    assert_eq!(r["roles"]["web_app"]["found"], "detected");
    assert_eq!(r["roles"]["pot"]["found"], "missing");
    let how = r["roles"]["web_app"]["how"].as_str().unwrap();
    assert!(how.contains("only HTTP server"), "{how}");
    if let Some(first) = first_frame(&file, "http.request") {
        assert_eq!(u64s(&r["roles"]["web_app"]["frames"]), vec![first]);
        // Task 6 and Task 5 answered from the web side, as tshark sees it.
        let not_modified = frames(&file, "http.response.code == 304").unwrap();
        assert_eq!(not_modified.len(), 1);
        let t6 = &r["tasks"][4];
        assert_eq!(t6["task"], 6);
        let q = t6["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["question"].as_str().unwrap().contains("304"))
            .unwrap();
        assert_eq!(q["answerable"], true, "{q}");
        assert_eq!(
            q["facts"]["responses"][0]["response"], not_modified[0],
            "{q}"
        );
        let conditional =
            first_frame(&file, "http.request.line contains \"If-Modified-Since\"").unwrap();
        assert_eq!(q["facts"]["responses"][0]["request"], conditional, "{q}");
        let requests = frames(&file, "http.request").unwrap().len() as u64;
        let t3 = report(&file, "3");
        let text = answer(&t3, "HTTP requests")["answer"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            text.starts_with(&format!("{requests} HTTP requests")),
            "{text}"
        );
    }
    // Two HTTP servers, no pot: the one with more requests, said so.
    let dir = tempdir();
    let a = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41000, 8080)
        .at(T0)
        .exchange(
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        );
    let b = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41001, 9090)
        .at(T0 + 10 * MS)
        .exchange(
            b"GET /x HTTP/1.1\r\nHost: b\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        );
    let c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 41002, 9090)
        .at(T0 + 20 * MS)
        .exchange(
            b"GET /y HTTP/1.1\r\nHost: b\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        );
    let file = write_merged(&dir, "two_servers.pcap", &[&a, &b, &c]);
    let r = report_args(&file, &["--task", "1"]);
    assert_eq!(r["roles"]["web_app"]["port"], 9090);
    let how = r["roles"]["web_app"]["how"].as_str().unwrap();
    assert!(
        how.contains("of 2 HTTP servers") && how.contains("8080"),
        "{how}"
    );
}
