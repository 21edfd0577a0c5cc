//! The tshark options of `read` that tools built on tshark pass (pyshark,
//! `-T ek` pipelines), beside the ones `read.rs` has always had:
//!
//! - `-j PROTOS` / `-J PROTOS`: the JSON, EK and PDML layer filters
//!   (`view::layer_filter`).
//! - `-N FLAGS`: name resolution. coffeeshark resolves no names; valid
//!   flags (tshark's `dmnNtv`) are accepted and said to be ignored on
//!   stderr (addresses and ports stay numbers), an invalid one gets tshark's
//!   message and exit 1.
//! - `-2` (two passes) and `-R FILTER` (the read filter of the first pass):
//!   `-R` without `-2` gets tshark's message and exit 1, as in tshark.
//! - `-i -` (and `-r -`): the capture comes on standard input, as pyshark's
//!   `LiveCapture` feeds it from dumpcap; it is followed as it arrives
//!   (`source::pipe`), so each packet is printed when it is read.

use clap::Args;
use coffeeshark::source::CaptureReader;
use coffeeshark::view::layer_filter::LayerFilter;
use std::path::Path;
use std::process::ExitCode;

#[derive(Args, Debug, Default)]
pub struct CompatArgs {
    /// -T json|ek|pdml: write in full only these protocols and fields
    /// (space-separated names); the others are replaced by
    /// `{"filtered": NAME}` (tshark's -j).
    #[arg(short = 'j', value_name = "PROTOS")]
    only: Option<String>,
    /// As -j, and everything under a listed name is written whole (tshark's -J).
    #[arg(short = 'J', value_name = "PROTOS", conflicts_with = "only")]
    only_whole: Option<String>,
    /// Name resolution flags (tshark's -N): accepted, but coffeeshark
    /// resolves no names; says so on stderr.
    #[arg(short = 'N', value_name = "FLAGS")]
    resolve: Option<String>,
    /// Two passes (tshark's -2): accepted; with -R, the read filter's
    /// packets are the only ones dissected, numbered from 1.
    #[arg(short = '2')]
    pub two_pass: bool,
    /// The read filter (tshark's -R): with -2, packets that do not match
    /// are dropped before the second pass.
    #[arg(short = 'R', value_name = "FILTER")]
    pub read_filter: Option<String>,
    /// Capture interface; only `-` (the capture on standard input, as
    /// pyshark feeds it from dumpcap) is read here. For live capture, see
    /// `coffeeshark capture -i IFACE`.
    #[arg(short = 'i', value_name = "-")]
    pub interface: Option<String>,
}

impl CompatArgs {
    /// The `-j`/`-J` filter, if any.
    pub fn layer_filter(&self) -> Option<LayerFilter> {
        match (&self.only, &self.only_whole) {
            (Some(p), _) => Some(LayerFilter::new(p, false)),
            (None, Some(p)) => Some(LayerFilter::new(p, true)),
            (None, None) => None,
        }
    }

    /// Checks the options tshark checks before reading: `-N`'s letters,
    /// `-R` without `-2`, `-i` other than `-`. Errors are printed as tshark
    /// prints them and become the exit code.
    pub fn check(&self) -> Result<(), ExitCode> {
        if let Some(flags) = &self.resolve {
            if let Some(bad) = flags.chars().find(|c| !"dmnNtv".contains(*c)) {
                eprintln!(
                    "coffeeshark: -N specifies unknown resolving option '{bad}'; valid options are:\n\
                     \t'd' to enable address resolution from captured DNS packets\n\
                     \t'm' to enable MAC address resolution\n\
                     \t'n' to enable network address resolution\n\
                     \t'N' to enable using external resolvers (e.g., DNS)\n\
                     \t    for network address resolution\n\
                     \t't' to enable transport-layer port number resolution\n\
                     \t'v' to enable VLAN IDs to names resolution"
                );
                return Err(ExitCode::from(1));
            }
            if !flags.is_empty() {
                eprintln!(
                    "coffeeshark: -N {flags}: coffeeshark resolves no names; addresses and ports are shown as numbers"
                );
            }
        }
        if self.read_filter.is_some() && !self.two_pass {
            eprintln!(
                "coffeeshark: -R without -2 is deprecated. For single-pass filtering use -Y."
            );
            return Err(ExitCode::from(1));
        }
        if let Some(i) = self.interface.as_deref().filter(|i| *i != "-") {
            eprintln!(
                "coffeeshark: read takes a capture on standard input with -i -; to capture on {i}, \
                 use `coffeeshark capture -i {i}` (or pipe `dumpcap -w -` into `-i -`)"
            );
            return Err(ExitCode::from(2));
        }
        Ok(())
    }

    /// An interface was given (`-i`): read runs, to read `-` or say why not.
    pub fn has_interface(&self) -> bool {
        self.interface.is_some()
    }

    /// Whether the capture comes on standard input (`-i -`).
    pub fn reads_stdin(&self) -> bool {
        self.interface.as_deref() == Some("-")
    }
}

/// Opens the capture: a file, or standard input when `path` is `-`.
pub fn open(path: &Path) -> anyhow::Result<CaptureReader> {
    if path.as_os_str() == "-" {
        return Ok(coffeeshark::source::pipe::follow(std::io::stdin())?);
    }
    Ok(CaptureReader::open(path)?)
}

/// `-2 -R FILTER`: the first pass. Returns the numbers (in the file) of the
/// frames that match the read filter, which the second pass numbers from 1
/// and alone dissects (`threads::Options::only_frames`); `None` without
/// `-R`. A bad filter is reported as `-Y`'s are and becomes the exit code.
pub fn first_pass(
    args: &CompatArgs,
    path: &Path,
    options: &coffeeshark::pipeline::threads::Options,
) -> anyhow::Result<Result<Option<std::sync::Arc<Vec<u64>>>, ExitCode>> {
    use coffeeshark::filter::values::PacketFields;
    let Some(expr) = args.read_filter.as_deref() else {
        return Ok(Ok(None));
    };
    let filter = match super::compile_filter(expr) {
        Ok(f) => f,
        Err(code) => return Ok(Err(code)),
    };
    if path.as_os_str() == "-" {
        eprintln!("coffeeshark: -2 reads the capture twice: it cannot be standard input");
        return Ok(Err(ExitCode::from(2)));
    }
    let mut kept = Vec::new();
    let outcome = coffeeshark::pipeline::threads::run(
        CaptureReader::open(path)?,
        coffeeshark::pipeline::threads::Options {
            app_frames_only: false,
            only_frames: None,
            ..options.clone()
        },
        |pkt| -> anyhow::Result<()> {
            if filter.matches_fields(&PacketFields::new(pkt)) {
                kept.push(pkt.frame.number);
            }
            Ok(())
        },
    )?;
    if let Some(e) = outcome.error {
        eprintln!("coffeeshark: {e}");
        return Ok(Err(ExitCode::from(2)));
    }
    Ok(Ok(Some(std::sync::Arc::new(kept))))
}

/// The packet list's columns (`summary::fill`), as tshark's second pass
/// shows them with `-2`: a segment that begins a message the next segments
/// complete keeps TCP's Info (`40764 → 5031 [PSH, ACK] Seq=... [TCP segment
/// of a reassembled PDU]`), where one pass shows the message's first line,
/// as tshark's one pass does.
pub fn fill_columns(
    pkt: &coffeeshark::model::Packet<'_>,
    cols: &mut coffeeshark::model::summary::Columns,
    two_pass: bool,
) {
    use coffeeshark::model::summary;
    summary::fill(pkt, cols);
    if !two_pass || cols.protocol != "TCP" {
        return;
    }
    if !pkt
        .app
        .as_deref()
        .is_some_and(|a| a.pdu_continues && a.info.is_some())
    {
        return;
    }
    let (Some(etherparse::TransportSlice::Tcp(tcp)), Some(meta)) =
        (&pkt.decoded.transport, &pkt.tcp)
    else {
        return;
    };
    cols.info.clear();
    summary::tcp_info(&mut cols.info, tcp, meta);
    cols.info.push_str(" [TCP segment of a reassembled PDU]");
}
