//! A space-time (ladder) diagram as data: lanes (endpoints with their lab
//! roles), one arrow per shown TCP segment labelled with what it carries,
//! and each connection's lifetime and handshake. `view::diagram` draws it
//! as SVG, text or Mermaid.
//!
//! Timing: a capture has one timestamp per packet, taken where the capture
//! ran. The diagram assumes that point is the client (the lab captures on
//! the student's machine): a segment from the client leaves at its capture
//! time, one from the server arrives at its capture time, and each takes
//! the connection's one-way delay, half the time from SYN to SYN/ACK (0 when
//! the handshake was not captured). Arrows slope by that delay.

use super::{addr_text, Facts, Roles};
use crate::flow::analysis::flag;
use std::collections::HashMap;

/// How to draw (which segments: [`super::Selection`], given to the
/// collector).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub roles: Roles,
    pub title: String,
}

/// A vertical line: one endpoint, or every endpoint of one role on one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// `Browser`, `Web app`, `Coffee pot`, `Client`, `Server`.
    pub name: String,
    /// `127.0.0.1:5031` for a server, `127.0.0.1` for a client (its
    /// ephemeral ports are on the arrows).
    pub address: String,
}

/// What an arrow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Syn,
    SynAck,
    /// The third segment of the handshake.
    HandshakeAck,
    /// An acknowledgement only (no data, no SYN/FIN/RST).
    Ack,
    /// A pure ACK Wireshark flags as a window update.
    WindowUpdate,
    Fin,
    Rst,
    /// The start of an HTTP or HTCPCP message.
    Message,
    /// TLS records.
    Tls,
    /// Payload that continues a message started earlier.
    Continuation,
    /// Payload the application layer said nothing about.
    Data,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Syn => "syn",
            Kind::SynAck => "syn-ack",
            Kind::HandshakeAck => "handshake-ack",
            Kind::Ack => "ack",
            Kind::WindowUpdate => "window-update",
            Kind::Fin => "fin",
            Kind::Rst => "rst",
            Kind::Message => "message",
            Kind::Tls => "tls",
            Kind::Continuation => "continuation",
            Kind::Data => "data",
        }
    }

    /// An acknowledgement only: drawn dashed.
    pub fn is_ack(self) -> bool {
        matches!(self, Kind::Ack | Kind::WindowUpdate | Kind::HandshakeAck)
    }
}

/// One segment, from one lane to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrow {
    pub frame: u64,
    /// Capture time, ns since the first frame.
    pub time: i64,
    /// Estimated send and receive times (see the module doc).
    pub depart: i64,
    pub arrive: i64,
    pub from: usize,
    pub to: usize,
    pub stream: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub kind: Kind,
    /// `SYN`, `GET /`, `HTTP/1.1 200 OK`, `Client Hello`, ...
    pub label: String,
    pub len: u32,
}

/// One connection: its lanes, lifetime and handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conn {
    pub stream: u32,
    pub client_lane: usize,
    pub server_lane: usize,
    pub client_port: u16,
    pub server_port: u16,
    /// Frames of SYN, SYN/ACK and handshake ACK, when captured.
    pub handshake: [Option<u64>; 3],
    /// `complete`, `no-final-ack`, ... (`conv`'s classes).
    pub handshake_class: &'static str,
    /// One-way delay used for the slopes, ns.
    pub delay: i64,
    /// First and last shown arrow (indices into [`Diagram::arrows`]).
    pub first_arrow: usize,
    pub last_arrow: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Diagram {
    pub title: String,
    pub lanes: Vec<Lane>,
    pub arrows: Vec<Arrow>,
    pub conns: Vec<Conn>,
    /// Pure ACKs and window updates left out (`hide_acks`).
    pub hidden_acks: u64,
    /// Arrows beyond `max_arrows`, or beyond the collector's cap.
    pub truncated: u64,
    /// The capture held application-layer information.
    pub app_seen: bool,
}

fn flag_names(flags: u16) -> String {
    let mut s = String::new();
    crate::model::summary::write_flag_names(&mut s, flags);
    s
}

/// `[TCP Retransmission] ` style prefixes, shortened to `[Retransmission] `.
fn analysis_prefix(bits: u32) -> String {
    // The window update is the arrow's kind already.
    let bits = bits & !flag::WINDOW_UPDATE;
    if bits == 0 {
        return String::new();
    }
    let mut s = String::new();
    crate::flow::analysis::Analysis {
        flags: bits,
        dup_ack_num: 0,
        dup_ack_frame: 0,
    }
    .write_info_prefix(&mut s);
    s.replace("[TCP ", "[")
}

/// Joins labels, collapsing repeats: `Application Data (encrypted) ×3`.
fn join_labels(labels: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < labels.len() {
        let mut n = 1;
        while i + n < labels.len() && labels[i + n] == labels[i] {
            n += 1;
        }
        if n > 1 {
            out.push(format!("{} \u{d7}{n}", labels[i]));
        } else {
            out.push(labels[i].clone());
        }
        i += n;
    }
    out.join(", ")
}

/// Builds the diagram of the collected facts (the segments the collector
/// kept, see [`super::Selection`]).
pub fn build(facts: &Facts, opts: &Options) -> Diagram {
    let order = opts.roles.order();
    let mut lanes: Vec<(Lane, Vec<u16>, usize)> = Vec::new(); // lane, server ports, rank
    let mut lane_of: HashMap<(String, Option<u16>, String), usize> = HashMap::new();
    // Lanes are keyed by (address, role name); an unknown server by its port too.
    let mut lane_index =
        |addr: String, key_extra: Option<u16>, name: String, server_port: Option<u16>| -> usize {
            let key = (addr.clone(), key_extra, name.clone());
            let i = *lane_of.entry(key).or_insert_with(|| {
                let rank = order
                    .iter()
                    .position(|n| *n == name)
                    .unwrap_or(order.len() + lanes.len());
                lanes.push((
                    Lane {
                        name: name.clone(),
                        address: addr.clone(),
                    },
                    Vec::new(),
                    rank,
                ));
                lanes.len() - 1
            });
            if let Some(p) = server_port {
                if !lanes[i].1.contains(&p) {
                    lanes[i].1.push(p);
                }
            }
            i
        };

    let mut d = Diagram {
        title: opts.title.clone(),
        app_seen: facts.app_seen,
        truncated: facts.truncated,
        hidden_acks: facts.hidden_acks,
        ..Diagram::default()
    };
    // Per stream: (conn index, client is A).
    let mut conn_of: HashMap<u32, (usize, bool)> = HashMap::new();
    for seg in &facts.segments {
        let Some(c) = facts.diagram_conns.get(&seg.stream) else {
            continue;
        };
        let (ci, client_is_a) = *conn_of.entry(seg.stream).or_insert_with(|| {
            let (client, server) = c.client_server();
            let (cname, sname) = match opts.roles.names(server.port) {
                Some((cn, sn)) => (cn.to_string(), sn.to_string()),
                None => ("Client".to_string(), "Server".to_string()),
            };
            let known = opts.roles.names(server.port).is_some();
            let cl = lane_index(addr_text(&client, c.v6), None, cname, None);
            let sl = lane_index(
                addr_text(&server, c.v6),
                (!known).then_some(server.port),
                sname,
                Some(server.port),
            );
            d.conns.push(Conn {
                stream: seg.stream,
                client_lane: cl,
                server_lane: sl,
                client_port: client.port,
                server_port: server.port,
                handshake: c.handshake_frames(),
                handshake_class: c.handshake().as_str(),
                delay: c.delay(),
                first_arrow: usize::MAX,
                last_arrow: 0,
            });
            (d.conns.len() - 1, c.client_side() == 0)
        });
        let from_client = seg.from_a == client_is_a;
        let kind;
        let mut label;
        if seg.rst() {
            kind = Kind::Rst;
            label = flag_names(seg.flags);
        } else if seg.syn() {
            kind = if seg.ack() { Kind::SynAck } else { Kind::Syn };
            label = flag_names(seg.flags);
        } else if !seg.starts.is_empty() {
            kind = if seg.tls { Kind::Tls } else { Kind::Message };
            label = join_labels(&seg.starts);
            if seg.fin() {
                label.push_str(" [FIN]");
            }
        } else if seg.fin() {
            kind = Kind::Fin;
            label = flag_names(seg.flags);
        } else if seg.len > 0 {
            if let Some(first) = seg.continues {
                kind = Kind::Continuation;
                label = format!("continues #{first} (Len={})", seg.len);
            } else {
                kind = Kind::Data;
                label = format!("{} Len={}", flag_names(seg.flags), seg.len);
            }
        } else if seg.handshake_ack {
            kind = Kind::HandshakeAck;
            label = flag_names(seg.flags);
        } else if seg.window_update() {
            kind = Kind::WindowUpdate;
            label = "ACK (window update)".to_string();
        } else {
            kind = Kind::Ack;
            label = flag_names(seg.flags);
        }
        let prefix = analysis_prefix(seg.analysis);
        if !prefix.is_empty() {
            label.insert_str(0, &prefix);
        }
        let conn = &mut d.conns[ci];
        let (from, to) = if from_client {
            (conn.client_lane, conn.server_lane)
        } else {
            (conn.server_lane, conn.client_lane)
        };
        // The capture is taken at the client: what it sends leaves at the
        // capture time, what it receives arrives then.
        let (depart, arrive) = if from_client {
            (seg.time, seg.time + conn.delay)
        } else {
            (seg.time - conn.delay, seg.time)
        };
        let idx = d.arrows.len();
        conn.first_arrow = conn.first_arrow.min(idx);
        conn.last_arrow = idx;
        d.arrows.push(Arrow {
            frame: seg.frame,
            time: seg.time,
            depart,
            arrive,
            from,
            to,
            stream: seg.stream,
            src_port: seg.src_port,
            dst_port: seg.dst_port,
            kind,
            label,
            len: seg.len,
        });
    }
    d.conns.retain(|c| c.first_arrow != usize::MAX);
    // Lanes left to right: the roles' order, then first appearance.
    let mut idx: Vec<usize> = (0..lanes.len()).collect();
    idx.sort_by_key(|&i| (lanes[i].2, i));
    let mut remap = vec![0; lanes.len()];
    for (new, &old) in idx.iter().enumerate() {
        remap[old] = new;
    }
    d.lanes = idx
        .iter()
        .map(|&i| {
            let (lane, ports, _) = &lanes[i];
            let mut lane = lane.clone();
            if !ports.is_empty() {
                let ps: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
                lane.address = if lane.address.contains(':') {
                    format!("[{}]:{}", lane.address, ps.join(","))
                } else {
                    format!("{}:{}", lane.address, ps.join(","))
                };
            }
            lane
        })
        .collect();
    for a in &mut d.arrows {
        a.from = remap[a.from];
        a.to = remap[a.to];
    }
    for c in &mut d.conns {
        c.client_lane = remap[c.client_lane];
        c.server_lane = remap[c.server_lane];
    }
    d
}
