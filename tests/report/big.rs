//! A big generated capture (exact counts, bounded citations), the
//! collector's memory, and `reports/` up to date.

use crate::common::*;
use crate::generator;
use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

// ------------------------------------------------------- big captures

/// A generated capture of `packets` packets (the benchmark's generator).
fn big_capture(dir: &tempfile::TempDir, packets: u64) -> (PathBuf, generator::Stats) {
    let path = path_in(dir, "big.pcapng");
    let stats = generator::write_lab_capture(&path, packets, generator::Format::PcapNg).unwrap();
    (path, stats)
}

/// The "… and K more" line of an answer's evidence.
fn more_count(a: &Value, what: &str) -> Option<u64> {
    a["evidence"].as_array().unwrap().iter().find_map(|e| {
        let t = e["text"].as_str().unwrap();
        let rest = t.strip_prefix("\u{2026} and ")?;
        let (n, tail) = rest.split_once(' ')?;
        tail.starts_with(&format!("more {what}"))
            .then(|| n.parse().unwrap())
    })
}

#[test]
fn big_capture_counts_are_exact_and_citations_bounded() {
    let dir = tempdir();
    let (file, stats) = big_capture(&dir, 40_000);
    let r = report(&file, "all");
    assert_eq!(r["frames"].as_u64(), Some(stats.packets));
    assert_eq!(r["tcp_streams"].as_u64(), Some(stats.connections));
    let task = |n: u64| {
        r["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["task"] == n)
            .unwrap()
    };
    let q = |n: u64, q: &str| {
        task(n)["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["question"].as_str().unwrap().contains(q))
            .unwrap()
            .clone()
    };
    let cap = 100u64;
    // Task 1: the generator's connections per port.
    let a = q(1, "browser and the web app");
    assert_eq!(
        a["facts"]["connections"].as_u64(),
        Some(stats.http_connections)
    );
    let a = q(1, "web app and the coffee pot");
    assert_eq!(
        a["facts"]["connections"].as_u64(),
        Some(stats.htcpcp_connections)
    );
    // Task 3: every connection counted, the first 100 cited, the rest said.
    let a = q(3, "SYN, SYN-ACK and ACK");
    assert_eq!(
        a["facts"]["connection_count"].as_u64(),
        Some(stats.connections)
    );
    let listed = a["facts"]["connections"].as_array().unwrap();
    assert_eq!(listed.len() as u64, cap);
    let streams: Vec<u64> = listed
        .iter()
        .map(|c| c["stream"].as_u64().unwrap())
        .collect();
    assert_eq!(
        streams,
        (0..cap).collect::<Vec<_>>(),
        "the first streams are cited"
    );
    assert_eq!(more_count(&a, "connections"), Some(stats.connections - cap));
    let a = q(3, "browser and the web app use?");
    assert_eq!(
        a["facts"]["connection_count"].as_u64(),
        Some(stats.http_connections)
    );
    assert_eq!(
        a["facts"]["connections"].as_array().unwrap().len() as u64,
        cap
    );
    // HTTP requests: tshark's count, the first 100 frames cited.
    let a = q(3, "HTTP requests");
    if let Some(reqs) = frames(&file, "http.request && tcp.dstport == 5031") {
        assert_eq!(
            a["facts"]["request_count"].as_u64(),
            Some(reqs.len() as u64)
        );
        assert_eq!(u64s(&a["facts"]["requests"]), reqs[..cap as usize].to_vec());
        assert_eq!(more_count(&a, "requests"), Some(reqs.len() as u64 - cap));
    }
    // Every answer's evidence stays bounded.
    for t in r["tasks"].as_array().unwrap() {
        for a in t["answers"].as_array().unwrap() {
            assert!(
                a["evidence"].as_array().unwrap().len() <= 2 * cap as usize + 10,
                "{}",
                a["question"]
            );
        }
    }
    // The embedded diagram stops at --max-arrows and says so.
    let (out, err, code) = coffeeshark(&[
        "report",
        file.to_str().unwrap(),
        "--task",
        "3",
        "--max-arrows",
        "50",
    ]);
    assert_eq!(code, 0, "{err}");
    let arrows = out
        .lines()
        .filter(|l| l.contains("->>") || l.contains("-->>"))
        .count();
    assert_eq!(arrows, 50);
    assert!(out.contains("Diagram truncated after 50 arrows"), "{out}");
}

#[test]
fn collector_memory_follows_open_connections_not_the_file() {
    use coffeeshark::report::{Collector, Limits, Selection, SWEEP_MIN};
    let dir = tempdir();
    let (file, stats) = big_capture(&dir, 100_000);
    assert!(stats.connections as usize > 2 * SWEEP_MIN);
    let mut reader = coffeeshark::source::CaptureReader::open(&file).unwrap();
    let mut analyzer = coffeeshark::pipeline::Analyzer::new();
    let sel = Selection {
        streams: None,
        hide_acks: true,
        max_arrows: 300,
    };
    let mut collector = Collector::new(Limits::default(), Some(sel));
    let mut most = 0;
    while let Some(raw) = reader.next_frame().unwrap() {
        let pkt = analyzer.process(&raw);
        collector.add(&pkt, true);
        most = most.max(collector.open_connections());
    }
    assert!(most <= SWEEP_MIN + 1, "{most} connections held");
    let facts = collector.finish();
    assert_eq!(facts.tcp_streams, stats.connections);
    assert_eq!(facts.segments.len(), 300);
    assert!(facts.truncated > 0);
    assert!(facts.diagram_conns.len() <= 300);
    assert_eq!(
        facts.late_packets, 0,
        "closed connections are forgotten after their last packet"
    );
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
        // The bundled captures are small: their reports cite everything.
        assert!(
            !fresh.contains("the report cites the first"),
            "reports/{name} is cut"
        );
    }
}
