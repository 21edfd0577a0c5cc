//! What a whole capture says, as bounded data: the one-pass [`Collector`]
//! follows each TCP connection while it is open ([`Connection`]), folds the
//! application messages into the lab's answers as they go by
//! ([`answers::Tally`]: counts, plus the first [`Limits::max_cited`] cited
//! items of each category) and keeps the diagram's arrows ([`Segment`]) up
//! to [`Selection::max_arrows`]. [`diagram::build`] turns the kept segments
//! into a space-time [`diagram::Diagram`], [`answers::answer`] the tally
//! into the lab's questions answered with evidence ([`answers::Report`]).
//! Renderers live in `view::diagram` and `view::report`; nothing here
//! prints, and only [`pass`] reads a capture.
//!
//! Memory does not grow with the file: connections are forgotten once
//! closed (both FINs or a RST) or idle for [`IDLE_NANOS`] of capture time,
//! as soon as more than [`SWEEP_MIN`] are held; at most
//! [`Limits::max_open`] are followed at once (the least recently active go
//! first). A packet of a forgotten connection is counted in
//! [`Facts::late_packets`] and otherwise ignored.

pub mod answers;
pub mod diagram;
mod lanes;
pub mod pass;
pub mod roles;

pub use lanes::{RoleRule, Roles, POT_PORT, WEBAPP_PORT};

use crate::dissect::stream::PduBody;
use crate::dissect::tls;
use crate::flow::analysis::flag;
use crate::flow::Endpoint;
use crate::model::conversations::{FrameRef, Handshake, Opening};
use crate::model::Packet;
use etherparse::TransportSlice;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::num::NonZeroU64;

/// Caps of the collector.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Items cited per category of an answer (connections, frames, rows);
    /// the rest is counted ("and K more").
    pub max_cited: usize,
    /// Body bytes kept of a quoted message.
    pub max_body: usize,
    /// Connections followed at once.
    pub max_open: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_cited: 100,
            max_body: 4096,
            max_open: 65_536,
        }
    }
}

/// Below this many open connections nothing is forgotten.
pub const SWEEP_MIN: usize = 4096;
/// A connection silent for this long (capture time) is forgotten at the
/// next sweep, closed or not.
pub const IDLE_NANOS: i64 = 60_000_000_000;

/// Which segments become diagram arrows.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Only these `tcp.stream`s (all when `None`).
    pub streams: Option<Vec<u32>>,
    /// Leave out pure ACKs and window updates (not the handshake's ACK,
    /// nor ACKs once the peer sent its FIN); they are counted.
    pub hide_acks: bool,
    /// Keep at most this many; the rest is counted.
    pub max_arrows: usize,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            streams: None,
            hide_acks: false,
            max_arrows: 2000,
        }
    }
}

/// One TCP segment as the diagram needs it.
#[derive(Debug, Clone)]
pub struct Segment {
    pub frame: u64,
    /// Nanoseconds since the capture's first frame.
    pub time: i64,
    pub stream: u32,
    /// Sent by the connection's endpoint A (the sender of its first packet).
    pub from_a: bool,
    pub src_port: u16,
    pub dst_port: u16,
    /// TCP flag bits (FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16, ...).
    pub flags: u16,
    pub len: u32,
    /// `tcp.analysis.*` bits.
    pub analysis: u32,
    /// The application layer said this frame only continues a message.
    pub pdu_continues: bool,
    /// Labels of the messages and TLS records whose first byte is in this
    /// frame (`GET /`, `Client Hello`), in stream order.
    pub starts: Vec<String>,
    /// Some of `starts` are TLS records.
    pub tls: bool,
    /// The first frame of the message this segment continues.
    pub continues: Option<u64>,
    /// The first pure ACK from the SYN sender after the SYN/ACK.
    pub handshake_ack: bool,
}

impl Segment {
    pub fn syn(&self) -> bool {
        self.flags & 2 != 0
    }
    pub fn ack(&self) -> bool {
        self.flags & 0x10 != 0
    }
    pub fn fin(&self) -> bool {
        self.flags & 1 != 0
    }
    pub fn rst(&self) -> bool {
        self.flags & 4 != 0
    }
    /// No payload and no SYN, FIN or RST: an acknowledgement (or window
    /// update, keep-alive) only.
    pub fn pure_ack(&self) -> bool {
        self.len == 0 && self.flags & 0x07 == 0
    }
    pub fn window_update(&self) -> bool {
        self.analysis & flag::WINDOW_UPDATE != 0
    }
}

/// The arrow label of a TLS record: `Client Hello`, `Application Data
/// (encrypted)`.
pub fn tls_label(r: &tls::Record) -> String {
    let info = r.info();
    if r.plaintext().is_some() {
        format!("{info} (decrypted)")
    } else if r.content_type == tls::APPLICATION_DATA {
        format!("{info} (encrypted)")
    } else {
        info
    }
}

/// One TCP connection while it is followed: endpoints, handshake and
/// teardown frames (the rules of `model::conversations`), and what its
/// application layer carried.
#[derive(Debug, Clone)]
pub struct Connection {
    pub stream: u32,
    pub v6: bool,
    /// A is the source of the stream's first packet.
    pub a: Endpoint,
    pub b: Endpoint,
    pub first_frame: u64,
    pub start: i64,
    pub last: i64,
    /// First SYN (no ACK), SYN/ACK, FIN and RST frame of each side (0 = A).
    pub syn: [FrameRef; 2],
    pub syn_ack: [FrameRef; 2],
    pub fin: [FrameRef; 2],
    pub rst: [FrameRef; 2],
    /// The first ACK from the SYN sender after the SYN/ACK.
    pub handshake_ack: FrameRef,
    /// Payload bytes each way.
    pub payload: [u64; 2],
    pub first_payload: FrameRef,
    /// Requests (HTTP or HTCPCP request lines) from the client.
    pub requests: u32,
    /// HTTP messages, HTCPCP messages and TLS records, and the frame of the
    /// first of each.
    pub http: u32,
    pub htcpcp: u32,
    pub tls: u32,
    pub first_http: FrameRef,
    pub first_htcpcp: FrameRef,
    pub first_tls: FrameRef,
    /// Requests for page assets (Task 5).
    pub assets: u32,
    /// Browser requests still waiting for their answer (Task 1's pending map).
    pub pending: u32,
    /// For a connection to the pot: the browser request (stream, frame)
    /// that was waiting for its answer when this connection began; `true`
    /// when that is a TLS connection in use (from the browser's first
    /// Application Data record to the web app's FIN).
    pub nested_in: Option<(u32, u64, bool)>,
    /// Smallest time from a client segment to the server's next one, ns.
    pub rtt: Option<i64>,
    last_client: Option<i64>,
    /// Some of its segments are diagram arrows.
    pub in_diagram: bool,
    /// A packet came after both FINs.
    fin_acked: bool,
}

impl Connection {
    fn new(stream: u32, v6: bool, a: Endpoint, b: Endpoint, frame: u64, time: i64) -> Self {
        Connection {
            stream,
            v6,
            a,
            b,
            first_frame: frame,
            start: time,
            last: time,
            syn: [None; 2],
            syn_ack: [None; 2],
            fin: [None; 2],
            rst: [None; 2],
            handshake_ack: None,
            payload: [0; 2],
            first_payload: None,
            requests: 0,
            http: 0,
            htcpcp: 0,
            tls: 0,
            first_http: None,
            first_htcpcp: None,
            first_tls: None,
            assets: 0,
            pending: 0,
            nested_in: None,
            rtt: None,
            last_client: None,
            in_diagram: false,
            fin_acked: false,
        }
    }

    /// Index of the client side (0 = A, 1 = B), by `conv`'s rule.
    pub fn client_side(&self) -> usize {
        self.opening().client_side()
    }

    fn opening(&self) -> Opening {
        Opening {
            syn: self.syn,
            syn_ack: self.syn_ack,
            rst: self.rst,
            handshake_ack: self.handshake_ack,
            ports: [self.a.port, self.b.port],
        }
    }

    pub fn endpoint(&self, side: usize) -> Endpoint {
        if side == 0 {
            self.a
        } else {
            self.b
        }
    }

    /// (client, server).
    pub fn client_server(&self) -> (Endpoint, Endpoint) {
        let s = self.client_side();
        (self.endpoint(s), self.endpoint(1 - s))
    }

    pub fn server_port(&self) -> u16 {
        self.client_server().1.port
    }

    /// `client:port → server:port` (IPv6 as `[::1]:port`, RFC 5952 §6).
    pub fn endpoints_text(&self) -> String {
        let (cl, sv) = self.client_server();
        format!(
            "{} \u{2192} {}",
            endpoint_text(&cl, self.v6),
            endpoint_text(&sv, self.v6)
        )
    }

    /// The handshake's class, by `conv`'s rule.
    pub fn handshake(&self) -> Handshake {
        self.opening().handshake()
    }

    /// SYN, SYN/ACK and handshake ACK frames, when captured.
    pub fn handshake_frames(&self) -> [Option<u64>; 3] {
        let c = self.client_side();
        [
            self.syn[c].map(|f| f.get()),
            self.syn_ack[1 - c].map(|f| f.get()),
            self.handshake_ack.map(|f| f.get()),
        ]
    }

    /// Both sides sent a FIN and a packet came after both (the last ACK),
    /// or one side sent a RST: nothing more is expected.
    pub fn closed(&self) -> bool {
        self.fin_acked || self.rst[0].is_some() || self.rst[1].is_some()
    }

    /// The one-way delay used for the diagram's slopes: half the smallest
    /// client-to-server-and-back time, 0 when the handshake was not seen.
    pub fn delay(&self) -> i64 {
        let [syn, syn_ack, _] = self.handshake_frames();
        if syn.is_some() && syn_ack.is_some() {
            self.rtt.unwrap_or(0) / 2
        } else {
            0
        }
    }
}

/// Everything the collector kept.
#[derive(Debug, Default)]
pub struct Facts {
    pub frames: u64,
    /// Capture time of the first frame, ns since the epoch.
    pub first_epoch_nanos: Option<i128>,
    pub last_time: i64,
    /// TCP streams seen (`tcp.stream` 0 to this - 1).
    pub tcp_streams: u64,
    /// Diagram arrows, in capture order.
    pub segments: Vec<Segment>,
    /// Pure ACKs left out (`Selection::hide_acks`).
    pub hidden_acks: u64,
    /// Segments beyond `Selection::max_arrows`.
    pub truncated: u64,
    /// The connections of the kept segments, by stream.
    pub diagram_conns: BTreeMap<u32, Connection>,
    /// The answers' accumulated facts.
    pub tally: answers::Tally,
    /// The web app's and the pot's ports, and how they were found.
    pub roles: roles::LabRoles,
    /// Frames that were not TCP.
    pub non_tcp: u64,
    /// Packets of connections already forgotten.
    pub late_packets: u64,
    /// Whether any frame had application-layer information at all (false
    /// when the analyser had no dissectors wired).
    pub app_seen: bool,
}

/// The one pass: feed every packet in capture order.
pub struct Collector {
    limits: Limits,
    selection: Option<Selection>,
    open: FxHashMap<u32, Connection>,
    next_stream: u32,
    sweep_at: usize,
    facts: Facts,
}

impl Default for Collector {
    fn default() -> Self {
        Collector::new(Limits::default(), None)
    }
}

/// A page's asset (stylesheet, image, icon, script): under `/assets/` or
/// named with a file extension.
pub fn is_asset(target: &str) -> bool {
    let path = target.split('?').next().unwrap_or("");
    path.starts_with("/assets/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

impl Collector {
    /// `selection`: which segments become diagram arrows (`None`: no
    /// diagram). The web app and the pot are on the lab's ports.
    pub fn new(limits: Limits, selection: Option<Selection>) -> Self {
        Collector::with_roles(limits, selection, roles::LabRoles::default())
    }

    /// [`Collector::new`] with the web app and the pot on the ports of
    /// `roles` (found by `roles::detect` or given by flags).
    pub fn with_roles(
        limits: Limits,
        selection: Option<Selection>,
        roles: roles::LabRoles,
    ) -> Self {
        Collector {
            limits,
            selection,
            open: FxHashMap::default(),
            next_stream: 0,
            sweep_at: SWEEP_MIN,
            facts: Facts {
                tally: answers::Tally::with_ports(limits, roles.web_app.port, roles.pot.port),
                roles,
                ..Facts::default()
            },
        }
    }

    /// Accounts one packet. `shown` says whether it may become a diagram
    /// arrow (a `-Y` filter matched it); the answers see every packet.
    pub fn add(&mut self, pkt: &Packet<'_>, shown: bool) {
        let Collector {
            selection,
            open,
            next_stream,
            facts: f,
            ..
        } = self;
        f.frames += 1;
        if f.first_epoch_nanos.is_none() && pkt.frame.has_ts {
            f.first_epoch_nanos =
                Some(pkt.frame.ts.secs as i128 * 1_000_000_000 + pkt.frame.ts.nanos as i128);
        }
        // Clamped to ±73 years so that differences and sums of two times
        // fit in an i64 (a damaged capture's timestamps can be anything; the
        // diagram fuzz target overflowed the round-trip time below).
        const LIMIT: i128 = 1 << 61;
        let time = pkt.frame.rel_nanos.clamp(-LIMIT, LIMIT) as i64;
        f.last_time = f.last_time.max(time);
        let (Some(meta), Some(TransportSlice::Tcp(tcp)), Some(net)) =
            (&pkt.tcp, &pkt.decoded.transport, &pkt.decoded.net)
        else {
            f.non_tcp += 1;
            return;
        };
        let frame = pkt.frame.number;
        let stream = meta.stream;
        let (src, dst) = crate::flow::endpoints(net, tcp.source_port(), tcp.destination_port());
        let flags = crate::flow::tcp_flags_u16(tcp);
        let len = tcp.payload().len() as u32;
        let seg = |from_a: bool, handshake_ack: bool| Segment {
            frame,
            time,
            stream,
            from_a,
            src_port: src.port,
            dst_port: dst.port,
            flags,
            len,
            analysis: meta.analysis.flags,
            pdu_continues: pkt.app.as_deref().is_some_and(|a| a.pdu_continues),
            starts: Vec::new(),
            tls: false,
            continues: None,
            handshake_ack,
        };
        let is_new = !open.contains_key(&stream);
        if is_new && stream < *next_stream {
            // Forgotten already: at most a diagram arrow, when its
            // connection is drawn.
            f.late_packets += 1;
            if let (Some(sel), Some(c)) = (selection.as_ref(), f.diagram_conns.get_mut(&stream)) {
                let from_a = src == c.a && dst == c.b;
                let side = usize::from(!from_a);
                let hide = len == 0 && flags & 0x07 == 0 && c.fin[1 - side].is_none();
                if shown {
                    keep_segment(
                        &mut f.segments,
                        &mut f.hidden_acks,
                        &mut f.truncated,
                        sel,
                        c,
                        seg(from_a, false),
                        hide,
                    );
                }
            }
            return;
        }
        if is_new {
            *next_stream = stream.saturating_add(1);
            f.tcp_streams = u64::from(*next_stream);
            let v6 = matches!(net, etherparse::LaxNetSlice::Ipv6(_));
            open.insert(stream, Connection::new(stream, v6, src, dst, frame, time));
        }
        let Some(c) = open.get_mut(&stream) else {
            return;
        };
        let from_a = src == c.a && dst == c.b;
        let side = usize::from(!from_a);
        let fref = NonZeroU64::new(frame);
        let (syn, ack, fin, rst) = (
            flags & 2 != 0,
            flags & 0x10 != 0,
            flags & 1 != 0,
            flags & 4 != 0,
        );
        // The peer's FIN came before this segment (ACKs after it stay).
        let peer_fin = c.fin[1 - side].is_some();
        if peer_fin && c.fin[side].is_some() {
            c.fin_acked = true;
        }
        c.last = time;
        if syn && !ack {
            c.syn[side] = c.syn[side].or(fref);
        }
        if syn && ack {
            c.syn_ack[side] = c.syn_ack[side].or(fref);
        }
        if fin {
            c.fin[side] = c.fin[side].or(fref);
        }
        if rst {
            c.rst[side] = c.rst[side].or(fref);
        }
        let mut handshake_ack = false;
        if ack
            && !syn
            && !rst
            && c.handshake_ack.is_none()
            && c.syn[side].is_some()
            && c.syn_ack[1 - side].is_some()
        {
            c.handshake_ack = fref;
            handshake_ack = true;
        }
        if len > 0 {
            c.payload[side] += u64::from(len);
            c.first_payload = c.first_payload.or(fref);
        }
        if side == c.client_side() {
            c.last_client = Some(time);
        } else if let Some(t0) = c.last_client.take() {
            let dt = time.saturating_sub(t0).max(0);
            c.rtt = Some(c.rtt.map_or(dt, |m| m.min(dt)));
        }
        if is_new {
            f.tally.opened(c);
        }
        if fin || rst {
            f.tally.closing(c, side);
        }
        if let (Some(sel), true) = (selection.as_ref(), shown) {
            let hide = len == 0 && flags & 0x07 == 0 && !handshake_ack && !peer_fin;
            keep_segment(
                &mut f.segments,
                &mut f.hidden_acks,
                &mut f.truncated,
                sel,
                c,
                seg(from_a, handshake_ack),
                hide,
            );
        }
        if let Some(app) = pkt.app.as_deref() {
            f.app_seen = true;
            // HTTP decrypted from TLS (a key log): the records that carried
            // it are named by the message.
            let decrypted = app
                .messages
                .iter()
                .any(|m| matches!(&m.body, PduBody::Tls(r) if r.inner_http));
            for pdu in &app.messages {
                let first_frame = pdu.segments.first().map_or(frame, |s| s.0);
                let pdu_from_a = pdu.direction == 0;
                match &pdu.body {
                    PduBody::Http(h) => {
                        f.tally.message(c, frame, pdu_from_a, pdu, h, decrypted);
                        if c.in_diagram {
                            let mut label = message_label(&h.message);
                            if decrypted {
                                label.push_str(" (decrypted)");
                            }
                            mark_start(&mut f.segments, first_frame, label, decrypted);
                            for &(sf, _) in pdu.segments.iter().skip(1) {
                                if sf != first_frame {
                                    mark_continues(&mut f.segments, sf, first_frame);
                                }
                            }
                        }
                    }
                    PduBody::Tls(r) => {
                        f.tally.tls(c, frame, pdu_from_a, r, app.protocol);
                        if c.in_diagram && !r.inner_http {
                            mark_start(&mut f.segments, first_frame, tls_label(r), true);
                        }
                    }
                    PduBody::WebSocket(w) => {
                        if c.in_diagram {
                            mark_start(&mut f.segments, first_frame, w.info(), false);
                        }
                    }
                }
            }
            // Messages this frame's RST cut off: no frame shows them (as in
            // tshark), but the diagram says where they began and why they
            // never finished.
            for pdu in app.reset.iter().filter(|_| c.in_diagram) {
                let PduBody::Http(h) = &pdu.body else {
                    continue;
                };
                let Some(first_frame) = pdu.segments.first().map(|s| s.0) else {
                    continue;
                };
                let what = if h.message.is_request() {
                    "request"
                } else {
                    "response"
                };
                let label = format!(
                    "{} ({what} incomplete: RST at frame {frame})",
                    message_label(&h.message)
                );
                mark_start(&mut f.segments, first_frame, label, false);
                for &(sf, _) in pdu.segments.iter().skip(1) {
                    if sf != first_frame {
                        mark_continues(&mut f.segments, sf, first_frame);
                    }
                }
            }
        }
        if open.len() > self.sweep_at {
            self.sweep(time);
        }
    }

    /// Forgets the closed and idle connections, and the least recently
    /// active ones beyond `max_open`.
    fn sweep(&mut self, now: i64) {
        let mut done: Vec<u32> = self
            .open
            .values()
            .filter(|c| c.closed() || now.saturating_sub(c.last) > IDLE_NANOS)
            .map(|c| c.stream)
            .collect();
        let left = self.open.len() - done.len();
        let max_open = self.limits.max_open.max(1);
        if left > max_open {
            let mut rest: Vec<(i64, u32)> = self
                .open
                .values()
                .filter(|c| !(c.closed() || now.saturating_sub(c.last) > IDLE_NANOS))
                .map(|c| (c.last, c.stream))
                .collect();
            rest.sort_unstable();
            let excess = left - max_open * 3 / 4;
            done.extend(rest.iter().take(excess).map(|x| x.1));
        }
        done.sort_unstable();
        for s in done {
            if let Some(c) = self.open.remove(&s) {
                self.forget(c);
            }
        }
        self.sweep_at = (self.open.len() * 2).clamp(SWEEP_MIN, max_open.max(SWEEP_MIN));
    }

    fn forget(&mut self, c: Connection) {
        self.facts.tally.closed(&c);
        if c.in_diagram {
            self.facts.diagram_conns.insert(c.stream, c);
        }
    }

    pub fn finish(mut self) -> Facts {
        let mut rest: Vec<u32> = self.open.keys().copied().collect();
        rest.sort_unstable();
        for s in rest {
            if let Some(c) = self.open.remove(&s) {
                self.forget(c);
            }
        }
        self.facts.tally.finish();
        self.facts
    }

    /// Connections followed right now (for tests of the bound).
    pub fn open_connections(&self) -> usize {
        self.open.len()
    }
}

/// Keeps `seg` as a diagram arrow if the selection wants it.
fn keep_segment(
    segments: &mut Vec<Segment>,
    hidden: &mut u64,
    truncated: &mut u64,
    sel: &Selection,
    c: &mut Connection,
    seg: Segment,
    hide: bool,
) {
    if !sel
        .streams
        .as_ref()
        .map_or(true, |v| v.contains(&seg.stream))
    {
        return;
    }
    if sel.hide_acks && hide {
        *hidden += 1;
    } else if segments.len() >= sel.max_arrows {
        *truncated += 1;
    } else {
        c.in_diagram = true;
        segments.push(seg);
    }
}

fn mark_start(segments: &mut [Segment], frame: u64, label: String, tls: bool) {
    if let Ok(i) = segments.binary_search_by_key(&frame, |s| s.frame) {
        segments[i].starts.push(label);
        segments[i].tls |= tls;
    }
}

fn mark_continues(segments: &mut [Segment], frame: u64, first: u64) {
    if let Ok(i) = segments.binary_search_by_key(&frame, |s| s.frame) {
        segments[i].continues.get_or_insert(first);
    }
}

/// The short label of a diagram arrow: `GET /`, `HTTP/1.1 200 OK`.
pub fn message_label(m: &crate::dissect::http::Message) -> String {
    use crate::dissect::http::StartLine;
    match &m.start_line {
        StartLine::Request { method, target, .. } => format!("{method} {target}"),
        StartLine::Response { .. } => m.summary(),
        StartLine::None => "Continuation".to_string(),
        StartLine::Invalid(b) if b.is_empty() => "Continuation".to_string(),
        StartLine::Invalid(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// `addr:port`, an IPv6 address in brackets (RFC 5952 §6).
pub fn endpoint_text(e: &Endpoint, v6: bool) -> String {
    if v6 {
        format!("[{}]:{}", addr_text(e, v6), e.port)
    } else {
        format!("{}:{}", addr_text(e, v6), e.port)
    }
}

/// An address as tshark writes it (IPv6 unbracketed).
pub fn addr_text(e: &Endpoint, v6: bool) -> String {
    if v6 {
        std::net::Ipv6Addr::from(e.addr).to_string()
    } else {
        std::net::Ipv4Addr::new(e.addr[0], e.addr[1], e.addr[2], e.addr[3]).to_string()
    }
}
