//! Writes a big lab-like loopback capture for benchmarks:
//!
//! ```text
//! cargo run --release --example gen_big_capture -- OUT.pcapng [PACKETS=1000000] [--pcap]
//! ```
//!
//! The traffic is described in `benches/support/generator.rs`. Write it to a
//! temporary path: never commit what it writes.

#[path = "../benches/support/generator.rs"]
mod generator;

use generator::{write_lab_capture, Format};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: gen_big_capture OUT.pcapng [PACKETS=1000000] [--pcap]";

fn main() -> ExitCode {
    let mut out: Option<PathBuf> = None;
    let mut packets: Option<u64> = None;
    let mut format = Format::PcapNg;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--pcap" => format = Format::Pcap,
            "--pcapng" => format = Format::PcapNg,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if out.is_none() => out = Some(PathBuf::from(arg)),
            _ if packets.is_none() => match arg.replace('_', "").parse() {
                Ok(n) => packets = Some(n),
                Err(_) => {
                    eprintln!("gen_big_capture: not a packet count: {arg}\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("gen_big_capture: unexpected argument {arg}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let packets = packets.unwrap_or(1_000_000);
    let started = Instant::now();
    match write_lab_capture(&out, packets, format) {
        Ok(stats) => {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "gen_big_capture: wrote {} ({:?}): {} packets, {} connections \
                 ({} HTTP on {}, {} HTCPCP on {}, {} at a time), {} frame bytes, \
                 {} file bytes, {:.3} s of traffic, in {secs:.2} s",
                out.display(),
                format,
                stats.packets,
                stats.connections,
                stats.http_connections,
                generator::WEB_APP_PORT,
                stats.htcpcp_connections,
                generator::POT_PORT,
                generator::CONCURRENT,
                stats.frame_bytes,
                stats.file_bytes,
                stats.duration.as_secs_f64(),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_big_capture: {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
