//! `coffeeshark read`'s packet-list fast path, and the two pcapng reader
//! crates side by side, on a generated lab capture (~200k packets of
//! interleaved HTTP and HTCPCP loopback connections, see
//! `support/generator.rs`), written to a temporary directory.
//!
//! - `read/list_path`: `CaptureReader::open`, `Analyzer::process`,
//!   `summary::fill` and `view::list::write_line` into a line buffer cleared
//!   per packet: what `coffeeshark read FILE` does, less the stdout writes.
//! - `read/capture_reader_pcap_parser`: reading only, through
//!   `coffeeshark::source::CaptureReader` (pcap-parser underneath).
//! - `read/pcap_parser_raw`: reading only, pcap-parser's `PcapNGReader`
//!   driven directly (what `CaptureReader` adds is the difference).
//! - `read/pcap_file_reader`: reading only, pcap-file 2's `PcapNgReader` over
//!   a 1 MiB `BufReader`.
//!
//! Throughput is in packets. Run with `cargo bench --bench read`: about 30 s
//! of measuring after the build. `benches/compare_tshark.sh` times the whole
//! binary against tshark on a bigger file.

#[path = "support/generator.rs"]
mod generator;

use coffeeshark::model::summary::{self, Columns};
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::CaptureReader;
use coffeeshark::view;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

/// Packets in the generated capture.
const PACKETS: u64 = 200_000;
/// Buffer for the readers (the same as `coffeeshark::source::READ_BUFFER`).
const BUFFER: usize = 1 << 20;

/// What one pass saw: packets, and a sum over their bytes so that nothing is
/// optimised away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    packets: u64,
    bytes: u64,
}

/// The packet list, as `coffeeshark read FILE` builds it.
fn list_path(path: &Path) -> Seen {
    let mut reader = CaptureReader::open(path).expect("open the capture");
    let mut analyzer = Analyzer::new();
    let mut cols = Columns::default();
    let mut line = String::with_capacity(256);
    let mut scratch = String::new();
    let mut seen = Seen {
        packets: 0,
        bytes: 0,
    };
    while let Some(raw) = reader.next_frame().expect("read the capture") {
        let pkt = analyzer.process(&raw);
        summary::fill(&pkt, &mut cols);
        line.clear();
        view::list::write_line(&mut line, &pkt.frame, &cols, &mut scratch);
        black_box(line.as_str());
        seen.packets += 1;
        seen.bytes += line.len() as u64;
    }
    seen
}

/// Reading only, through coffeeshark's `CaptureReader` (pcap-parser).
fn capture_reader(path: &Path) -> Seen {
    let mut reader = CaptureReader::open(path).expect("open the capture");
    let mut seen = Seen {
        packets: 0,
        bytes: 0,
    };
    while let Some(raw) = reader.next_frame().expect("read the capture") {
        seen.packets += 1;
        seen.bytes += raw.data.len() as u64;
        black_box((raw.ts, raw.data));
    }
    seen
}

/// Reading only, pcap-parser's streaming pcapng reader used directly.
fn pcap_parser_raw(path: &Path) -> Seen {
    use pcap_parser::pcapng::Block;
    use pcap_parser::traits::PcapReaderIterator;
    use pcap_parser::{PcapBlockOwned, PcapError};

    let file = File::open(path).expect("open the capture");
    let mut reader = pcap_parser::PcapNGReader::new(BUFFER, file).expect("pcapng header");
    let mut seen = Seen {
        packets: 0,
        bytes: 0,
    };
    loop {
        match reader.next() {
            Ok((len, block)) => {
                if let PcapBlockOwned::NG(Block::EnhancedPacket(epb)) = block {
                    seen.packets += 1;
                    seen.bytes += epb.data.len().min(epb.caplen as usize) as u64;
                    black_box((epb.ts_high, epb.ts_low, epb.data));
                }
                reader.consume(len);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
            Err(e) => panic!("pcap-parser: {e:?}"),
        }
    }
    seen
}

/// Reading only, pcap-file 2's pcapng reader over a 1 MiB `BufReader`.
fn pcap_file_reader(path: &Path) -> Seen {
    use pcap_file::pcapng::{Block, PcapNgReader};

    let file = BufReader::with_capacity(BUFFER, File::open(path).expect("open the capture"));
    let mut reader = PcapNgReader::new(file).expect("pcapng header");
    let mut seen = Seen {
        packets: 0,
        bytes: 0,
    };
    while let Some(block) = reader.next_block() {
        if let Block::EnhancedPacket(epb) = block.expect("pcap-file block") {
            seen.packets += 1;
            seen.bytes += epb.data.len() as u64;
            black_box((epb.timestamp, &epb.data));
        }
    }
    seen
}

fn bench_read(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("lab.pcapng");
    let stats = generator::write_lab_capture(&path, PACKETS, generator::Format::PcapNg)
        .expect("generate the capture");
    eprintln!(
        "read: {} packets, {} connections, {:.1} MB pcapng in {}",
        stats.packets,
        stats.connections,
        stats.file_bytes as f64 / 1e6,
        path.display()
    );

    // Every reader must see the same packets before we compare their speed.
    let listed = list_path(&path);
    assert_eq!(listed.packets, stats.packets);
    for (name, seen) in [
        ("CaptureReader", capture_reader(&path)),
        ("pcap-parser", pcap_parser_raw(&path)),
        ("pcap-file", pcap_file_reader(&path)),
    ] {
        assert_eq!(seen.packets, stats.packets, "{name} packet count");
        assert_eq!(seen.bytes, stats.frame_bytes, "{name} frame bytes");
    }

    let mut group = c.benchmark_group("read");
    group
        .throughput(Throughput::Elements(stats.packets))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("list_path", |b| b.iter(|| list_path(black_box(&path))));
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("capture_reader_pcap_parser", |b| {
        b.iter(|| capture_reader(black_box(&path)))
    });
    group.bench_function("pcap_parser_raw", |b| {
        b.iter(|| pcap_parser_raw(black_box(&path)))
    });
    group.bench_function("pcap_file_reader", |b| {
        b.iter(|| pcap_file_reader(black_box(&path)))
    });
    group.finish();
}

criterion_group!(benches, bench_read);
criterion_main!(benches);
