//! coffeeshark run under the name `dumpcap` (a symlink): the capture half of
//! Wireshark that tools start beside tshark. pyshark's `LiveCapture` runs
//! `dumpcap -q [-f BPF] -i IFACE -w -` and pipes its pcapng into
//! `tshark -l -n -T pdml -i -`; with `dumpcap` and `tshark` symlinks to
//! coffeeshark in one folder, both halves are ours (`capture` and
//! `read -i -`).
//!
//! dumpcap's options kept: `-i` (one interface, name or `-D` number), `-f`,
//! `-w FILE|-`, `-c`, `-a duration:S|packets:N`, `-s`, `-B`, `-p`, `-q`,
//! `-D`. Refused with a message (exit 2): `-P` (pcap output: tshark before
//! 2.5 needed it; coffeeshark writes pcapng, as dumpcap does by default),
//! `-I` (monitor mode: not on the loopback the lab captures), several `-i`.

use super::capture::{self, CaptureArgs};
use clap::Parser;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "dumpcap",
    about = "coffeeshark's live capture under dumpcap's name (for pyshark's LiveCapture)"
)]
struct DumpcapCli {
    #[command(flatten)]
    capture: CaptureArgs,
    /// pcap instead of pcapng (refused: only pcapng is written).
    #[arg(short = 'P')]
    pcap: bool,
    /// Monitor mode (refused).
    #[arg(short = 'I')]
    monitor: bool,
}

/// The program's name is `dumpcap`.
pub fn invoked_as_dumpcap() -> bool {
    std::env::args_os()
        .next()
        .and_then(|a| std::path::Path::new(&a).file_stem().map(|s| s == "dumpcap"))
        .unwrap_or(false)
}

pub fn run() -> ExitCode {
    let cli = DumpcapCli::parse();
    if cli.pcap || cli.monitor {
        eprintln!(
            "dumpcap (coffeeshark): {} is not supported; coffeeshark writes pcapng of a \
             loopback or Ethernet interface",
            if cli.pcap { "-P" } else { "-I" }
        );
        return ExitCode::from(2);
    }
    match capture::run(cli.capture) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dumpcap (coffeeshark): {e:#}");
            ExitCode::from(2)
        }
    }
}
