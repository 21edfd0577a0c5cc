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

use super::{addr_text, client_server, Facts, Roles};
use crate::flow::analysis::flag;
use std::collections::HashMap;

/// What to draw.
#[derive(Debug, Clone)]
pub struct Options {
    pub roles: Roles,
    /// Only these `tcp.stream`s (all when `None`).
    pub streams: Option<Vec<u32>>,
    /// Hide pure ACKs and window updates (not the handshake's ACK, nor
    /// ACKs once the peer sent its FIN).
    pub hide_acks: bool,
    /// At most this many arrows; the rest is counted in
    /// [`Diagram::truncated`].
    pub max_arrows: usize,
    pub title: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            roles: Roles::default(),
            streams: None,
            hide_acks: false,
            max_arrows: 2000,
            title: String::new(),
        }
    }
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

/// Builds the diagram of the collected facts.
pub fn build(facts: &Facts, opts: &Options) -> Diagram {
    let wanted = |s: u32| opts.streams.as_ref().map_or(true, |v| v.contains(&s));
    // Message starts per frame, and the frame each continuation belongs to.
    let mut starts: HashMap<u64, (Vec<String>, bool)> = HashMap::new();
    let mut continues: HashMap<u64, u64> = HashMap::new();
    for m in &facts.messages {
        if !wanted(m.stream) {
            continue;
        }
        starts.entry(m.first_frame).or_default().0.push(m.label());
        for &(f, _) in m.segments.iter().skip(1) {
            if f != m.first_frame {
                continues.entry(f).or_insert(m.first_frame);
            }
        }
    }
    for r in &facts.tls {
        if !wanted(r.stream) {
            continue;
        }
        let e = starts.entry(r.first_frame).or_default();
        e.0.push(r.label());
        e.1 = true;
    }

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
        truncated: facts.segments_dropped,
        ..Diagram::default()
    };
    // Per stream: (conn index, client is A, fin seen from A, fin seen from B).
    let mut conn_of: HashMap<u32, (usize, bool, [bool; 2])> = HashMap::new();
    for seg in &facts.segments {
        if !wanted(seg.stream) {
            continue;
        }
        let Some(c) = facts.conversations.get(seg.stream as usize) else {
            continue;
        };
        let entry = conn_of.entry(seg.stream).or_insert_with(|| {
            let (client, server) = client_server(c);
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
            let cs = c.client_side();
            let (csd, ssd) = (&c.sides[cs], &c.sides[1 - cs]);
            let handshake = [
                csd.syn.map(|f| f.get()),
                ssd.syn_ack.map(|f| f.get()),
                c.handshake_ack.map(|f| f.get()),
            ];
            d.conns.push(Conn {
                stream: seg.stream,
                client_lane: cl,
                server_lane: sl,
                client_port: client.port,
                server_port: server.port,
                handshake,
                handshake_class: c.handshake().as_str(),
                delay: 0,
                first_arrow: usize::MAX,
                last_arrow: 0,
            });
            (d.conns.len() - 1, cs == 0, [false; 2])
        });
        let (ci, client_is_a, ref mut fins) = *entry;
        let from_client = seg.from_a == client_is_a;
        let side = usize::from(!seg.from_a);
        let peer_fin = fins[1 - side];
        if seg.fin() {
            fins[side] = true;
        }
        let conn = &d.conns[ci];
        let handshake_ack = conn.handshake[2] == Some(seg.frame);
        let kind;
        let mut label;
        let app = starts.get(&seg.frame);
        if seg.rst() {
            kind = Kind::Rst;
            label = flag_names(seg.flags);
        } else if seg.syn() {
            kind = if seg.ack() { Kind::SynAck } else { Kind::Syn };
            label = flag_names(seg.flags);
        } else if let Some((labels, tls)) = app {
            kind = if *tls { Kind::Tls } else { Kind::Message };
            label = join_labels(labels);
            if seg.fin() {
                label.push_str(" [FIN]");
            }
        } else if seg.fin() {
            kind = Kind::Fin;
            label = flag_names(seg.flags);
        } else if seg.len > 0 {
            if let Some(first) = continues.get(&seg.frame) {
                kind = Kind::Continuation;
                label = format!("continues #{first} (Len={})", seg.len);
            } else {
                kind = Kind::Data;
                label = format!("{} Len={}", flag_names(seg.flags), seg.len);
            }
        } else if handshake_ack {
            kind = Kind::HandshakeAck;
            label = flag_names(seg.flags);
        } else {
            kind = if seg.window_update() {
                Kind::WindowUpdate
            } else {
                Kind::Ack
            };
            label = if seg.window_update() {
                "ACK (window update)".to_string()
            } else {
                flag_names(seg.flags)
            };
            if opts.hide_acks && !peer_fin {
                d.hidden_acks += 1;
                continue;
            }
        }
        let prefix = analysis_prefix(seg.analysis);
        if !prefix.is_empty() {
            label.insert_str(0, &prefix);
        }
        if d.arrows.len() >= opts.max_arrows {
            d.truncated += 1;
            continue;
        }
        let (from, to) = if from_client {
            (conn.client_lane, conn.server_lane)
        } else {
            (conn.server_lane, conn.client_lane)
        };
        let idx = d.arrows.len();
        let conn = &mut d.conns[ci];
        conn.first_arrow = conn.first_arrow.min(idx);
        conn.last_arrow = idx;
        d.arrows.push(Arrow {
            frame: seg.frame,
            time: seg.time,
            depart: seg.time,
            arrive: seg.time,
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
    // One-way delays: half the shortest time from a client segment to the
    // server's next one (the SYN/SYN-ACK pair included), so that an answer
    // never leaves before what it answers arrived.
    let mut shortest: HashMap<u32, (Option<i64>, Option<i64>)> = HashMap::new();
    for seg in &facts.segments {
        let Some(c) = facts.conversations.get(seg.stream as usize) else {
            continue;
        };
        let from_client = seg.from_a == (c.client_side() == 0);
        let e = shortest.entry(seg.stream).or_default();
        if from_client {
            e.0 = Some(seg.time);
        } else if let Some(t0) = e.0.take() {
            let dt = (seg.time - t0).max(0);
            e.1 = Some(e.1.map_or(dt, |m: i64| m.min(dt)));
        }
    }
    for c in &mut d.conns {
        if c.handshake[0].is_some() && c.handshake[1].is_some() {
            c.delay = shortest.get(&c.stream).and_then(|e| e.1).unwrap_or(0) / 2;
        }
    }
    let delays: HashMap<u32, (i64, usize)> = d
        .conns
        .iter()
        .map(|c| (c.stream, (c.delay, c.client_lane)))
        .collect();
    for a in &mut d.arrows {
        let (delay, client_lane) = delays[&a.stream];
        if a.from == client_lane {
            a.arrive = a.time + delay;
        } else {
            a.depart = a.time - delay;
        }
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
