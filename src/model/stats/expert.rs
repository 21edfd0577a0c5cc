//! `-z expert[,error|warn|note|chat|comment][,FILTER]`: tshark's expert
//! info summary (ui/cli/tap-expert.c, 4.0): every expert item a frame
//! raises, grouped by severity, one row per distinct (protocol, summary)
//! with how often it came, rows in order of first appearance.
//!
//! The items are those coffeeshark's one pass knows, raised in the order
//! tshark's dissectors raise them within a frame:
//!
//! - TCP flags: `Connection establish request (SYN): server port N`,
//!   `... acknowledge (SYN+ACK) ...`, `Connection finish (FIN)` with
//!   `This frame initiates / undergoes the connection closing` (the first
//!   side to send a FIN initiates), `Connection reset (RST)`;
//! - a SACK option whose first block lies below the acknowledgement
//!   (`D-SACK Sequence`, RFC 2883);
//! - the sequence analysis (`flow::analysis`): retransmissions, lost and
//!   ACKed-unseen segments, window updates and full windows, keep-alives,
//!   duplicate ACKs (`Duplicate ACK (#N)`), zero windows and probes,
//!   reused ports;
//! - HTTP: the request or status line of every message (`GET / HTTP/1.1\r\n`,
//!   chat), and `HTTP body subdissector failed, trying heuristic
//!   subdissector` when a `image/gif` body is not a GIF. HTCPCP messages
//!   raise the same chat under `HTCPCP` (tshark, which has no HTCPCP
//!   dissector, raises it under `HTTP` for the requests it takes for HTTP,
//!   and raises header warnings on others).
//!
//! What tshark raises and coffeeshark does not model (checksums, malformed
//! IP, TLS alerts, most HTTP header warnings) is absent. State: one entry per
//! TCP stream (who sent the first FIN), plus the rows.

use crate::dissect::stream::PduBody;
use crate::dissect::Protocol;
use crate::flow::analysis::flag;
use crate::model::Packet;
use etherparse::{TcpOptionElement, TransportSlice};
use rustc_hash::FxHashMap;

/// Expert severities, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Comment,
    Chat,
    Note,
    Warn,
    Error,
}

/// One row of the summary.
#[derive(Debug, Clone)]
pub struct Row {
    pub group: &'static str,
    pub protocol: &'static str,
    pub summary: String,
    pub frequency: u32,
}

/// The statistic.
#[derive(Debug, Clone)]
pub struct Expert {
    /// Items below this severity are not kept (`expert,warn`).
    pub lowest: Severity,
    /// Rows per severity (index: `Severity as usize`).
    pub rows: [Vec<Row>; 5],
    index: FxHashMap<(Severity, &'static str, String), usize>,
    /// Per TCP stream: the first source seen (side 0) and which sides
    /// sent a FIN first (tshark's `closing_initiator`).
    closing: FxHashMap<u32, ([u8; 16], u16, [bool; 2])>,
}

impl Expert {
    pub fn new(lowest: Severity) -> Self {
        Expert {
            lowest,
            rows: Default::default(),
            index: FxHashMap::default(),
            closing: FxHashMap::default(),
        }
    }

    fn raise(
        &mut self,
        severity: Severity,
        group: &'static str,
        protocol: &'static str,
        summary: String,
    ) {
        if severity < self.lowest {
            return;
        }
        let key = (severity, protocol, summary);
        match self.index.get(&key) {
            Some(&i) => self.rows[severity as usize][i].frequency += 1,
            None => {
                let rows = &mut self.rows[severity as usize];
                rows.push(Row {
                    group,
                    protocol,
                    summary: key.2.clone(),
                    frequency: 1,
                });
                self.index.insert(key, rows.len() - 1);
            }
        }
    }

    pub fn add(&mut self, pkt: &Packet<'_>) {
        use Severity::*;
        const SEQ: &str = "Sequence";
        if let (Some(TransportSlice::Tcp(tcp)), Some(meta)) = (&pkt.decoded.transport, &pkt.tcp) {
            if tcp.syn() {
                if tcp.ack() {
                    self.raise(
                        Chat,
                        SEQ,
                        "TCP",
                        format!(
                            "Connection establish acknowledge (SYN+ACK): server port {}",
                            tcp.source_port()
                        ),
                    );
                } else {
                    self.raise(
                        Chat,
                        SEQ,
                        "TCP",
                        format!(
                            "Connection establish request (SYN): server port {}",
                            tcp.destination_port()
                        ),
                    );
                }
            }
            // The stream's first source is side 0 (for who closes first).
            let src = pkt.decoded.net.as_ref().map(|net| {
                crate::flow::endpoints(net, tcp.source_port(), tcp.destination_port()).0
            });
            let state = src.map(|src| {
                let entry = self
                    .closing
                    .entry(meta.stream)
                    .or_insert((src.addr, src.port, [false; 2]));
                usize::from((entry.0, entry.1) != (src.addr, src.port))
            });
            if tcp.fin() {
                self.raise(Chat, SEQ, "TCP", "Connection finish (FIN)".into());
                if let (Some(side), Some(entry)) = (state, self.closing.get_mut(&meta.stream)) {
                    let summary = if entry.2[1 - side] {
                        "This frame undergoes the connection closing"
                    } else {
                        entry.2[side] = true;
                        "This frame initiates the connection closing"
                    };
                    self.raise(Note, SEQ, "TCP", summary.into());
                }
            }
            if tcp.rst() {
                self.raise(Warn, SEQ, "TCP", "Connection reset (RST)".into());
            }
            if is_dsack(tcp) {
                self.raise(Warn, SEQ, "TCP", "D-SACK Sequence".into());
            }
            let a = meta.analysis;
            for (bit, severity, text) in ANALYSIS {
                if a.flags & bit == 0 {
                    continue;
                }
                let summary = if bit == flag::DUPLICATE_ACK {
                    format!("Duplicate ACK (#{})", a.dup_ack_num)
                } else {
                    text.to_string()
                };
                self.raise(severity, SEQ, "TCP", summary);
                // A fast or spurious retransmission is a retransmission too.
                if bit == flag::FAST_RETRANSMISSION || bit == flag::SPURIOUS_RETRANSMISSION {
                    self.raise(Note, SEQ, "TCP", RETRANSMISSION.into());
                }
            }
        }
        let Some(app) = pkt.app.as_deref() else {
            return;
        };
        for m in &app.messages {
            let PduBody::Http(h) = &m.body else { continue };
            let msg = &h.message;
            if !matches!(
                msg.start_line,
                crate::dissect::http::StartLine::Request { .. }
                    | crate::dissect::http::StartLine::Response { .. }
            ) {
                continue;
            }
            let protocol = if h.protocol == Protocol::Htcpcp {
                "HTCPCP"
            } else {
                "HTTP"
            };
            let line = crate::model::app_tree::first_line_label(msg);
            self.raise(Chat, SEQ, protocol, truncate_label(line));
            let gif_failed = msg.body_len > 0
                && msg.media_type().as_deref() == Some("image/gif")
                && crate::model::app_tree::media_protocol(msg) == Some("media");
            if gif_failed && h.protocol == Protocol::Http {
                self.raise(
                    Note,
                    "Malformed",
                    protocol,
                    "HTTP body subdissector failed, trying heuristic subdissector".into(),
                );
            }
        }
    }
}

const RETRANSMISSION: &str = "This frame is a (suspected) retransmission";

/// The analysis flags' items, in the order tshark raises them.
const ANALYSIS: [(u32, Severity, &str); 15] = [
    (
        flag::REUSED_PORTS,
        Severity::Note,
        "A new tcp session is started with the same ports as an earlier session in this trace",
    ),
    (flag::RETRANSMISSION, Severity::Note, RETRANSMISSION),
    (
        flag::FAST_RETRANSMISSION,
        Severity::Note,
        "This frame is a (suspected) fast retransmission",
    ),
    (
        flag::SPURIOUS_RETRANSMISSION,
        Severity::Note,
        "This frame is a (suspected) spurious retransmission",
    ),
    (
        flag::OUT_OF_ORDER,
        Severity::Warn,
        "This frame is a (suspected) out-of-order segment",
    ),
    (
        flag::LOST_PACKET,
        Severity::Warn,
        "Previous segment(s) not captured (common at capture start)",
    ),
    (
        flag::ACK_LOST_PACKET,
        Severity::Warn,
        "ACKed segment that wasn't captured (common at capture start)",
    ),
    (flag::WINDOW_UPDATE, Severity::Chat, "TCP window update"),
    (
        flag::WINDOW_FULL,
        Severity::Warn,
        "TCP window specified by the receiver is now completely full",
    ),
    (flag::KEEP_ALIVE, Severity::Note, "TCP keep-alive segment"),
    (
        flag::KEEP_ALIVE_ACK,
        Severity::Note,
        "ACK to a TCP keep-alive segment",
    ),
    (flag::DUPLICATE_ACK, Severity::Note, "Duplicate ACK"),
    (
        flag::ZERO_WINDOW_PROBE,
        Severity::Note,
        "TCP Zero Window Probe",
    ),
    (flag::ZERO_WINDOW, Severity::Warn, "TCP Zero Window segment"),
    (
        flag::ZERO_WINDOW_PROBE_ACK,
        Severity::Note,
        "ACK to a TCP Zero Window Probe",
    ),
];

/// A SACK whose first block is below the cumulative ACK, or inside the
/// second block (RFC 2883 §4).
fn is_dsack(tcp: &etherparse::TcpSlice<'_>) -> bool {
    if !tcp.ack() {
        return false;
    }
    let ack = tcp.acknowledgment_number();
    tcp.options_iterator().flatten().any(|o| match o {
        TcpOptionElement::SelectiveAcknowledgement((left, right), rest) => {
            let below = (left.wrapping_sub(ack) as i32) < 0;
            let inside = rest[0].is_some_and(|(l2, r2)| {
                (left.wrapping_sub(l2) as i32) >= 0 && (r2.wrapping_sub(right) as i32) >= 0
            });
            below || inside
        }
        _ => false,
    })
}

/// Wireshark's item labels hold 239 bytes.
fn truncate_label(mut s: String) -> String {
    const MAX: usize = 239;
    if s.len() > MAX {
        let mut end = MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}
