//! The threaded pass (`pipeline::threads`) hands the job exactly the packets
//! that the one-thread `Analyzer` builds, in order, then the same unfinished
//! messages and the same reader error. Checked on the recorded sample
//! captures, whole and cut short, and on a generated lab capture.

use coffeeshark::model::Packet;
use coffeeshark::pipeline::{threads, Analyzer};
use coffeeshark::source::CaptureReader;
use std::path::{Path, PathBuf};

#[path = "../benches/support/generator.rs"]
mod generator;

/// A generated lab capture of `packets` packets (pcapng).
fn generated(packets: u64) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.pcapng");
    generator::write_lab_capture(&path, packets, generator::Format::PcapNg).unwrap();
    std::fs::read(path).unwrap()
}

/// Everything a job can read from a packet, as text.
fn describe(p: &Packet<'_>) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        p.frame,
        p.decoded.data,
        p.decoded.net.is_some(),
        p.decoded.stop,
        p.tcp,
        p.app,
        p.interface_name,
        p.interface_description
    )
}

struct Seen {
    packets: Vec<String>,
    unfinished: String,
    error: Option<String>,
}

fn one_thread(bytes: &[u8], analysis: bool) -> Seen {
    let mut reader = CaptureReader::from_reader(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut analyzer = if analysis {
        Analyzer::new()
    } else {
        Analyzer::messages_without_tcp_analysis(Vec::new())
    };
    let mut packets = Vec::new();
    let error = loop {
        match reader.next_frame() {
            Ok(Some(raw)) => packets.push(describe(&analyzer.process(&raw))),
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        }
    };
    Seen {
        packets,
        unfinished: format!("{:?}", analyzer.finish()),
        error,
    }
}

fn three_threads(bytes: &[u8], analysis: bool) -> Seen {
    let reader = CaptureReader::from_reader(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut packets = Vec::new();
    let options = threads::Options {
        tcp_analysis: analysis,
        ..threads::Options::default()
    };
    let outcome = threads::run(reader, options, |p| -> Result<(), ()> {
        packets.push(describe(p));
        Ok(())
    })
    .unwrap();
    assert_eq!(outcome.frames, packets.len() as u64);
    Seen {
        packets,
        unfinished: format!("{:?}", outcome.unfinished),
        error: outcome.error.map(|e| e.to_string()),
    }
}

fn assert_same(name: &str, bytes: &[u8]) {
    for analysis in [true, false] {
        let a = one_thread(bytes, analysis);
        let b = three_threads(bytes, analysis);
        assert_eq!(a.packets.len(), b.packets.len(), "{name}: packet count");
        for (i, (x, y)) in a.packets.iter().zip(&b.packets).enumerate() {
            assert_eq!(x, y, "{name}: packet {} differs", i + 1);
        }
        assert_eq!(a.unfinished, b.unfinished, "{name}: unfinished messages");
        assert_eq!(a.error, b.error, "{name}: error");
    }
}

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_capture");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcapng" || e == "pcap"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "sample captures missing: {files:?}");
    files
}

#[test]
fn same_packets_as_one_thread_on_the_samples() {
    for path in samples() {
        let bytes = std::fs::read(&path).unwrap();
        assert_same(&path.display().to_string(), &bytes);
    }
}

#[test]
fn same_packets_and_error_on_captures_cut_short() {
    for path in samples() {
        let bytes = std::fs::read(&path).unwrap();
        for cut in [bytes.len() / 3, bytes.len() / 2 + 7, bytes.len() - 5] {
            let name = format!("{} cut at {cut}", path.display());
            let b = three_threads(&bytes[..cut], true);
            assert!(b.error.is_some(), "{name}: no error");
            assert_same(&name, &bytes[..cut]);
        }
    }
}

#[test]
fn same_packets_on_a_generated_lab_capture() {
    // Several batches' worth of frames, many streams, HTTP and HTCPCP.
    assert_same("generated", &generated(5_000));
}

#[test]
fn count_stops_the_pass() {
    let path = &samples()[0];
    let reader = CaptureReader::open(path).unwrap();
    let mut seen = Vec::new();
    let options = threads::Options {
        count: Some(3),
        ..threads::Options::default()
    };
    let outcome = threads::run(reader, options, |p| -> Result<(), ()> {
        seen.push(p.frame.number);
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, vec![1, 2, 3]);
    assert_eq!(outcome.frames, 3);
}

#[test]
fn a_failing_job_stops_every_thread() {
    // The generated capture is far bigger than the channels hold: the
    // threads must notice that nobody reads any more, or this hangs.
    let bytes = generated(20_000);
    let reader = CaptureReader::from_reader(std::io::Cursor::new(bytes)).unwrap();
    let mut n = 0;
    let result = threads::run(reader, threads::Options::default(), |_| {
        n += 1;
        if n == 10 {
            Err("stop")
        } else {
            Ok(())
        }
    });
    assert_eq!(result.unwrap_err(), "stop");
    assert_eq!(n, 10);
}
