//! `coffeeshark report`: the answers' key values (JSON `facts`) against what
//! tshark says about the same captures, and plain "not answerable" where a
//! capture cannot answer.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::*;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_capture")
        .join(name)
}

fn report(file: &Path, task: &str) -> Value {
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
fn answer<'a>(r: &'a Value, q: &str) -> &'a Value {
    r["tasks"][0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"].as_str().unwrap().contains(q))
        .unwrap_or_else(|| panic!("no question {q:?}"))
}

/// tshark -T fields rows for a display filter.
fn fields(file: &Path, filter: &str, fields: &[&str]) -> Option<Vec<Vec<String>>> {
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

fn frames(file: &Path, filter: &str) -> Option<Vec<u64>> {
    Some(
        fields(file, filter, &["frame.number"])?
            .iter()
            .map(|r| r[0].parse().unwrap())
            .collect(),
    )
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn hex_text(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Frames to or from `port` whose payload starts with `prefix`.
fn payload_frames(file: &Path, port_field: &str, prefix: &str) -> Option<Vec<u64>> {
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

#[test]
fn task3_handshakes_ports_and_counts_equal_tshark() {
    let file = sample("homepage_coffee.pcapng");
    let r = report(&file, "3");
    // Handshakes: SYN, SYN/ACK per stream from tshark; the ACK is the
    // client's first pure ACK after the SYN/ACK.
    let Some(rows) = fields(
        &file,
        "tcp",
        &[
            "frame.number",
            "tcp.stream",
            "tcp.flags",
            "tcp.len",
            "tcp.srcport",
        ],
    ) else {
        return;
    };
    // stream -> (SYN, SYN/ACK, ACK, the SYN's source port).
    type Hs = (Option<u64>, Option<u64>, Option<u64>, String);
    let mut hs: BTreeMap<u64, Hs> = BTreeMap::new();
    for row in &rows {
        let (frame, stream, flags, len, sport) = (
            row[0].parse::<u64>().unwrap(),
            row[1].parse::<u64>().unwrap(),
            row[2].as_str(),
            row[3].parse::<u64>().unwrap(),
            row[4].clone(),
        );
        let e = hs.entry(stream).or_default();
        match flags {
            "0x0002" => {
                e.0 = Some(frame);
                e.3 = sport;
            }
            "0x0012" => e.1 = Some(frame),
            "0x0010" if len == 0 && e.1.is_some() && e.2.is_none() && sport == e.3 => {
                e.2 = Some(frame)
            }
            _ => {}
        }
    }
    let facts = answer(&r, "SYN, SYN-ACK and ACK")["facts"]
        .as_array()
        .unwrap();
    assert_eq!(facts.len(), hs.len());
    for f in facts {
        let s = f["stream"].as_u64().unwrap();
        let e = &hs[&s];
        assert_eq!(
            (f["syn"].as_u64(), f["syn_ack"].as_u64(), f["ack"].as_u64()),
            (e.0, e.1, e.2),
            "stream {s}"
        );
    }
    // Ports: the SYNs to each server port, from tshark.
    for (q, port) in [
        ("browser and the web app", 5031),
        ("web app and the coffee pot", 5030),
    ] {
        let syns = fields(
            &file,
            &format!("tcp.flags == 0x002 && tcp.dstport == {port}"),
            &["tcp.stream", "tcp.srcport"],
        )
        .unwrap();
        let a = answer(&r, q);
        assert_eq!(a["answerable"], true);
        let got: Vec<(u64, u64)> = a["facts"]["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                assert_eq!(c["server_port"].as_u64(), Some(port));
                (
                    c["stream"].as_u64().unwrap(),
                    c["client_port"].as_u64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(u64, u64)> = syns
            .iter()
            .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
            .collect();
        assert_eq!(got, want, "{q}");
    }
    // HTTP: tshark's requests to 5031 and responses from it.
    let a = answer(&r, "HTTP requests");
    assert_eq!(
        u64s(&a["facts"]["requests"]),
        frames(&file, "http.request && tcp.dstport == 5031").unwrap()
    );
    assert_eq!(
        u64s(&a["facts"]["responses"]),
        frames(&file, "http.response && tcp.srcport == 5031").unwrap()
    );
    // HTCPCP: tshark has no dissector; the payloads to the pot start with a
    // method, those from it with the status line.
    let a = answer(&r, "HTCPCP requests");
    assert_eq!(
        u64s(&a["facts"]["requests"]),
        payload_frames(&file, "tcp.dstport == 5030", "GET coffee://").unwrap()
    );
    let resp = payload_frames(&file, "tcp.srcport == 5030", "HTCPCP/1.1 ").unwrap();
    assert_eq!(u64s(&a["facts"]["responses"]).len(), resp.len());
    assert_eq!(resp.len(), 2);
}

#[test]
fn task5_base_page_form_and_htcpcp_equal_tshark() {
    let file = sample("coffee_brew.pcapng");
    let r = report(&file, "5");
    let Some(base) = frames(&file, "http.request.uri == \"/\"") else {
        return;
    };
    let a = answer(&r, "base page");
    assert_eq!(a["facts"]["frame"].as_u64(), Some(base[0]));
    let form = frames(&file, "http.request.uri contains \"method=brew\"").unwrap();
    let brews = payload_frames(&file, "tcp.dstport == 5030", "BREW ").unwrap();
    let a = answer(&r, "brew form");
    assert_eq!(a["facts"]["form_frame"].as_u64(), Some(form[0]));
    let first_brew_after = brews.iter().copied().find(|&b| b > form[0]);
    assert_eq!(a["facts"]["htcpcp_frame"].as_u64(), first_brew_after);
    let fields_sent: Vec<(String, String)> =
        serde_json::from_value(a["facts"]["fields"].clone()).unwrap();
    assert!(fields_sent.contains(&("additions".into(), "cream".into())));
    assert!(fields_sent.contains(&("additions".into(), "rum".into())));
    // Persistence: tshark's request count per stream.
    let per_stream = fields(
        &file,
        "http.request && tcp.dstport == 5031",
        &["tcp.stream"],
    )
    .unwrap();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for row in per_stream {
        *counts.entry(row[0].clone()).or_default() += 1;
    }
    let a = answer(&r, "persistent");
    assert_eq!(
        a["facts"]["max_requests_per_connection"].as_u64(),
        counts.values().max().copied()
    );
    assert_eq!(
        a["facts"]["connections"].as_u64(),
        Some(counts.len() as u64)
    );
}

#[test]
fn task6_each_response_with_its_request_equals_tshark() {
    let file = sample("coffee_brew.pcapng");
    let r = report(&file, "6");
    for code in [200, 302, 304] {
        let Some(rows) = fields(
            &file,
            &format!("http.response.code == {code} && tcp.srcport == 5031"),
            &["http.request_in", "frame.number"],
        ) else {
            return;
        };
        let want: Vec<(u64, u64)> = rows
            .iter()
            .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
            .collect();
        let a = answer(&r, &format!("the {code} responses"));
        let got: Vec<(u64, u64)> = a["facts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["request"].as_u64().unwrap(),
                    f["response"].as_u64().unwrap(),
                )
            })
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got, want, "{code}");
    }
}

#[test]
fn task7_errors_and_the_pages_the_browser_got() {
    let file = sample("coffee_418_406.pcapng");
    let r = report(&file, "7");
    for code in [406, 418] {
        let Some(pot) =
            payload_frames(&file, "tcp.srcport == 5030", &format!("HTCPCP/1.1 {code} "))
        else {
            return;
        };
        let web = fields(
            &file,
            &format!("http.response.code == {code} && tcp.srcport == 5031"),
            &["http.request_in", "frame.number"],
        )
        .unwrap();
        let a = answer(&r, &format!("Is a {code} produced"));
        assert_eq!(a["answerable"], true);
        let f = &a["facts"][0];
        assert_eq!(a["facts"].as_array().unwrap().len(), pot.len());
        assert_eq!(f["htcpcp_response"].as_u64(), Some(pot[0]));
        assert_eq!(
            f["browser_request"].as_u64(),
            Some(web[0][0].parse().unwrap())
        );
        assert_eq!(
            f["browser_response"].as_u64(),
            Some(web[0][1].parse().unwrap())
        );
        assert_eq!(f["browser_status"].as_u64(), Some(code));
    }
}

#[test]
fn task8_tls_records_and_plaintext_pot_equal_tshark() {
    let file = sample("coffee_https.pcapng");
    let r = report(&file, "8");
    // TLS 1.3 records show their outer type as tls.record.opaque_type.
    let Some(rows) = fields(
        &file,
        "tls && tcp.port == 5031",
        &["tls.record.content_type", "tls.record.opaque_type"],
    ) else {
        return;
    };
    let app_records: usize = rows
        .iter()
        .flat_map(|r| r.iter())
        .map(|f| f.split(',').filter(|t| *t == "23").count())
        .sum();
    assert!(app_records > 100);
    let a = answer(&r, "still visible");
    assert_eq!(
        a["facts"]["application_data_records"].as_u64(),
        Some(app_records as u64)
    );
    assert_eq!(a["facts"]["http_messages_on_5031"].as_u64(), Some(0));
    let pot_msgs = payload_frames(&file, "tcp.dstport == 5030", "")
        .unwrap()
        .len();
    let a = answer(&r, "pot leg");
    assert_eq!(a["answerable"], true);
    // Every HTCPCP request and response is one segment in the recording.
    assert_eq!(a["facts"].as_array().unwrap().len() / 2, pot_msgs);
    // Without HTTPS, Task 8 cannot be answered; with it, Task 6 cannot.
    let plain = report(&sample("homepage_coffee.pcapng"), "8");
    assert_eq!(answer(&plain, "still visible")["answerable"], false);
    let r6 = report(&file, "6");
    let a = answer(&r6, "the 200 responses");
    assert_eq!(a["answerable"], false);
    assert!(a["answer"].as_str().unwrap().contains("TLS-encrypted"));
}

#[test]
fn not_answerable_when_the_capture_has_no_lab_traffic() {
    // python -m http.server on 8000: no web app, no pot.
    let file = sample("http_loopback.pcapng");
    let r = report(&file, "3");
    assert_eq!(answer(&r, "browser and the web app")["answerable"], false);
    assert_eq!(answer(&r, "HTCPCP requests")["answerable"], false);
    assert_eq!(answer(&r, "SYN, SYN-ACK and ACK")["answerable"], true);
    let r = report(&file, "7");
    assert_eq!(answer(&r, "Is a 418")["answerable"], false);
    let (_, err, code) = coffeeshark(&["report", file.to_str().unwrap(), "--task", "2"]);
    assert_eq!(code, 1);
    assert!(err.contains("expected 3, 4, 5, 6, 7, 8 or all"), "{err}");
}

/// `reports/` is what `reports/generate.sh` writes from `sample_capture/`.
#[test]
fn reports_directory_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempdir();
    let status = std::process::Command::new("bash")
        .arg(root.join("reports/generate.sh"))
        .arg(dir.path())
        .env("COFFEESHARK", env!("CARGO_BIN_EXE_coffeeshark"))
        .status()
        .expect("run reports/generate.sh");
    assert!(status.success());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 15, "{names:?}");
    for name in &names {
        let fresh = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let committed = std::fs::read_to_string(root.join("reports").join(name))
            .unwrap_or_else(|_| panic!("reports/{name} is missing: run reports/generate.sh"));
        pretty_diff(
            &committed,
            &fresh,
            &format!("reports/{name} is stale: run reports/generate.sh"),
        );
    }
}
