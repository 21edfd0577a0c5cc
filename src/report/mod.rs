//! What a whole capture says, as data: the one-pass [`Collector`] gathers
//! compact [`Facts`] (TCP segments, conversations, application messages);
//! [`diagram::build`] turns them into a space-time [`diagram::Diagram`] and
//! [`answers::answer`] into the lab's questions answered with evidence
//! ([`answers::Report`]). Renderers live in `view::diagram` and
//! `view::report`; nothing here reads a file or prints.
//!
//! Memory is bounded: segments are kept up to [`Limits::max_segments`],
//! messages up to [`Limits::max_messages`] (bodies cut to
//! [`Limits::max_body`] bytes); what is beyond is counted, and renderers say
//! so.

pub mod answers;
pub mod diagram;

use crate::dissect::stream::{PduBody, RequestRef};
use crate::dissect::{htcpcp, http, tls, Protocol};
use crate::flow::analysis::flag;
use crate::flow::Endpoint;
use crate::model::conversations::{Conversation, ConversationTable};
use crate::model::Packet;
use etherparse::TransportSlice;

/// Caps of the collector.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_segments: usize,
    pub max_messages: usize,
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_segments: 1_000_000,
            max_messages: 100_000,
            max_body: 4096,
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
    /// Sent by the conversation's endpoint A (the sender of its first packet).
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

/// What kind of application message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MsgKind {
    Request {
        method: String,
        target: String,
        version: String,
    },
    Response {
        version: String,
        code: u16,
        reason: String,
    },
    /// A reply without a status line, or bytes that are not HTTP.
    Other,
}

/// One HTTP or HTCPCP message, compact.
#[derive(Debug, Clone)]
pub struct Message {
    /// The frame it is attributed to (the one whose segment completes it, as
    /// Wireshark).
    pub frame: u64,
    /// The frame carrying its first byte (its start line).
    pub first_frame: u64,
    pub segments: Vec<(u64, u32)>,
    pub time: i64,
    pub stream: u32,
    pub from_a: bool,
    pub htcpcp: bool,
    pub kind: MsgKind,
    /// The start line as sent (`GET / HTTP/1.1`).
    pub start_line: String,
    pub headers: Vec<(String, String)>,
    /// The body's first bytes (lossy UTF-8, de-chunked).
    pub body: String,
    pub body_len: u64,
    pub complete: bool,
    pub notes: Vec<String>,
    /// The HTCPCP view, on HTCPCP streams.
    pub htcpcp_view: Option<htcpcp::Htcpcp>,
    /// On a response: the request it answers.
    pub request: Option<RequestRef>,
}

impl Message {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn is_request(&self) -> bool {
        matches!(self.kind, MsgKind::Request { .. })
    }
    pub fn code(&self) -> Option<u16> {
        match self.kind {
            MsgKind::Response { code, .. } => Some(code),
            _ => None,
        }
    }
    /// The short label of a diagram arrow: `GET /`, `HTTP/1.1 200 OK`.
    pub fn label(&self) -> String {
        match &self.kind {
            MsgKind::Request { method, target, .. } => format!("{method} {target}"),
            MsgKind::Response { .. } => self.start_line.clone(),
            MsgKind::Other if self.start_line.is_empty() => "Continuation".to_string(),
            MsgKind::Other => self.start_line.clone(),
        }
    }
}

/// One TLS record, compact.
#[derive(Debug, Clone)]
pub struct TlsRecord {
    pub frame: u64,
    pub first_frame: u64,
    pub stream: u32,
    pub from_a: bool,
    pub content_type: u8,
    pub length: u16,
    /// `Client Hello`, `Application Data`, ...
    pub info: String,
    /// The Protocol column of its frame (`TLSv1.3`), when the dissector set it.
    pub protocol: Option<String>,
}

impl TlsRecord {
    /// The arrow label: `Client Hello`, `Application Data (encrypted)`.
    pub fn label(&self) -> String {
        if self.content_type == tls::APPLICATION_DATA {
            format!("{} (encrypted)", self.info)
        } else {
            self.info.clone()
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
    pub conversations: Vec<Conversation>,
    pub segments: Vec<Segment>,
    pub segments_dropped: u64,
    pub messages: Vec<Message>,
    pub tls: Vec<TlsRecord>,
    pub messages_dropped: u64,
    /// Frames that were not TCP.
    pub non_tcp: u64,
    /// Whether any frame had application-layer information at all (false
    /// when the analyser had no dissectors wired).
    pub app_seen: bool,
}

/// The one pass: feed every packet in capture order.
#[derive(Default)]
pub struct Collector {
    limits: Limits,
    table: ConversationTable,
    facts: Facts,
}

fn kind_of(m: &http::Message) -> MsgKind {
    match &m.start_line {
        http::StartLine::Request {
            method,
            target,
            version,
        } => MsgKind::Request {
            method: method.clone(),
            target: target.clone(),
            version: version.to_string(),
        },
        http::StartLine::Response {
            version,
            code,
            reason,
        } => MsgKind::Response {
            version: version.to_string(),
            code: *code,
            reason: reason.clone(),
        },
        _ => MsgKind::Other,
    }
}

impl Collector {
    pub fn new(limits: Limits) -> Self {
        Collector {
            limits,
            ..Self::default()
        }
    }

    /// Accounts one packet. `segment` says whether it may become a diagram
    /// arrow (a `-Y` filter matched it); conversations and messages are
    /// always kept.
    pub fn add(&mut self, pkt: &Packet<'_>, segment: bool) {
        let f = &mut self.facts;
        f.frames += 1;
        if f.first_epoch_nanos.is_none() && pkt.frame.has_ts {
            f.first_epoch_nanos =
                Some(pkt.frame.ts.secs as i128 * 1_000_000_000 + pkt.frame.ts.nanos as i128);
        }
        let time = pkt.frame.rel_nanos as i64;
        f.last_time = f.last_time.max(time);
        let (Some(meta), Some(TransportSlice::Tcp(tcp))) = (&pkt.tcp, &pkt.decoded.transport)
        else {
            f.non_tcp += 1;
            return;
        };
        self.table.add(pkt);
        let conv = &self.table.conversations()[meta.stream as usize];
        let from_a = match &pkt.decoded.net {
            Some(net) => {
                let (src, dst) =
                    crate::flow::endpoints(net, tcp.source_port(), tcp.destination_port());
                src == conv.a && dst == conv.b
            }
            None => true,
        };
        let app = pkt.app.as_deref();
        if segment {
            if f.segments.len() < self.limits.max_segments {
                f.segments.push(Segment {
                    frame: pkt.frame.number,
                    time,
                    stream: meta.stream,
                    from_a,
                    src_port: tcp.source_port(),
                    dst_port: tcp.destination_port(),
                    flags: crate::flow::tcp_flags_u16(tcp),
                    len: tcp.payload().len() as u32,
                    analysis: meta.analysis.flags,
                    pdu_continues: app.is_some_and(|a| a.pdu_continues),
                });
            } else {
                f.segments_dropped += 1;
            }
        }
        let Some(app) = app else { return };
        f.app_seen = true;
        for pdu in &app.messages {
            let first_frame = pdu.segments.first().map_or(pkt.frame.number, |s| s.0);
            let pdu_from_a = pdu.direction == 0;
            match &pdu.body {
                PduBody::Http(h) => {
                    if f.messages.len() >= self.limits.max_messages {
                        f.messages_dropped += 1;
                        continue;
                    }
                    let m = &h.message;
                    let cut = m.body.len().min(self.limits.max_body);
                    f.messages.push(Message {
                        frame: pkt.frame.number,
                        first_frame,
                        segments: pdu.segments.clone(),
                        time,
                        stream: meta.stream,
                        from_a: pdu_from_a,
                        htcpcp: h.protocol == Protocol::Htcpcp,
                        kind: kind_of(m),
                        start_line: match &m.start_line {
                            http::StartLine::Invalid(b) => String::from_utf8_lossy(b).into_owned(),
                            http::StartLine::None => String::new(),
                            _ => m.summary(),
                        },
                        headers: m
                            .headers
                            .iter()
                            .take(64)
                            .map(|h| {
                                (
                                    h.name.to_string(),
                                    String::from_utf8_lossy(h.value).into_owned(),
                                )
                            })
                            .collect(),
                        body: String::from_utf8_lossy(&m.body[..cut]).into_owned(),
                        body_len: m.body_len,
                        complete: m.complete,
                        notes: m.notes.iter().map(|n| n.to_string()).collect(),
                        htcpcp_view: h.htcpcp().cloned(),
                        request: h.request.clone(),
                    });
                }
                PduBody::Tls(r) => {
                    if f.tls.len() >= self.limits.max_messages {
                        f.messages_dropped += 1;
                        continue;
                    }
                    f.tls.push(TlsRecord {
                        frame: pkt.frame.number,
                        first_frame,
                        stream: meta.stream,
                        from_a: pdu_from_a,
                        content_type: r.content_type,
                        length: r.length,
                        info: r.info(),
                        protocol: app.protocol.clone(),
                    });
                }
            }
        }
    }

    pub fn finish(mut self) -> Facts {
        self.facts.conversations = self.table.conversations().to_vec();
        self.facts
    }
}

/// Who the endpoints are, from the lab's ports: the server on a port gets
/// the rule's `server` name, its clients the `client` name.
#[derive(Debug, Clone)]
pub struct Roles {
    /// In the left-to-right order of the diagram: each rule's client, then
    /// its server.
    pub rules: Vec<RoleRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRule {
    pub port: u16,
    pub server: String,
    pub client: String,
}

/// The lab's web app port.
pub const WEBAPP_PORT: u16 = 5031;
/// The lab's coffee pot port.
pub const POT_PORT: u16 = 5030;

impl Default for Roles {
    /// The lab: Browser → Web app on 5031, Web app → Coffee pot on 5030.
    fn default() -> Self {
        Roles {
            rules: vec![
                RoleRule {
                    port: WEBAPP_PORT,
                    server: "Web app".into(),
                    client: "Browser".into(),
                },
                RoleRule {
                    port: POT_PORT,
                    server: "Coffee pot".into(),
                    client: "Web app".into(),
                },
            ],
        }
    }
}

impl Roles {
    /// Applies `PORT=NAME` (the server on PORT) or `PORT:client=NAME` (its
    /// clients).
    pub fn apply(&mut self, spec: &str) -> Result<(), String> {
        let (key, name) = spec
            .split_once('=')
            .ok_or_else(|| format!("--role {spec}: expected PORT=NAME or PORT:client=NAME"))?;
        let (port, client) = match key.trim().split_once(':') {
            Some((p, "client")) => (p, true),
            Some((p, "server")) => (p, false),
            Some(_) => {
                return Err(format!(
                    "--role {spec}: expected PORT=NAME or PORT:client=NAME"
                ))
            }
            None => (key.trim(), false),
        };
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| format!("--role {spec}: {port:?} is not a port number"))?;
        let name = name.trim().trim_matches('"').to_string();
        if name.is_empty() {
            return Err(format!("--role {spec}: empty name"));
        }
        match self.rules.iter_mut().find(|r| r.port == port) {
            Some(r) if client => r.client = name,
            Some(r) => r.server = name,
            None => self.rules.push(RoleRule {
                port,
                server: if client {
                    format!("Server :{port}")
                } else {
                    name.clone()
                },
                client: if client { name } else { "Client".to_string() },
            }),
        }
        Ok(())
    }

    /// Names in left-to-right order.
    pub fn order(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.rules {
            for n in [r.client.as_str(), r.server.as_str()] {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// The (client, server) names of a connection to `server_port`.
    pub fn names(&self, server_port: u16) -> Option<(&str, &str)> {
        self.rules
            .iter()
            .find(|r| r.port == server_port)
            .map(|r| (r.client.as_str(), r.server.as_str()))
    }
}

/// `addr` or `addr:port` as tshark writes them (IPv6 unbracketed).
pub fn addr_text(e: &Endpoint, v6: bool) -> String {
    if v6 {
        std::net::Ipv6Addr::from(e.addr).to_string()
    } else {
        std::net::Ipv4Addr::new(e.addr[0], e.addr[1], e.addr[2], e.addr[3]).to_string()
    }
}

/// The client and server endpoints of a conversation.
pub fn client_server(c: &Conversation) -> (Endpoint, Endpoint) {
    let s = c.client_side();
    (c.endpoint(s), c.endpoint(1 - s))
}
