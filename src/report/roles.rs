//! Which server port is the lab's web app and which its coffee pot, found
//! in the traffic rather than assumed (the lab's 5031 and 5030 are only the
//! fallback), so that a capture of servers on other ports is answered.
//!
//! Rules, in order:
//! - **pot**: the server port that carries HTCPCP (an `HTCPCP/x.y` start
//!   line, a coffee URI scheme, or BREW/WHEN/PROPFIND: `dissect::detect`);
//!   with several, the one with most HTCPCP messages (the report says so).
//! - **web app**: an HTTP or TLS server whose host asks the pot while one
//!   of its clients waits for an answer (a request to it is unanswered, or
//!   its TLS connection is in use, when a connection from its address to
//!   the pot's port sends its first HTCPCP message); else the only HTTP
//!   server (with several, the one with most requests, said so). A TLS
//!   server alone is not taken: without the pot, nothing says it is the
//!   lab's (`openssl s_server`, any HTTPS site).
//! - `--web-port` / `--pot-port` override either; a role not found keeps
//!   the lab's port and is reported as missing.
//!
//! [`Detector`] is cheap: per frame only `decode::tcp_segment` and, for a
//! segment with payload, one look at its first line; no reassembly, no
//! `Packet`. The report's pass needs the ports from its first packet (its
//! per-connection decisions use them), so it guesses them from the first
//! frames ([`detect_first`]) and feeds a detector every frame as it goes
//! (`report::pass::collect_detecting`, which runs again in the rare case the
//! whole capture decides otherwise). A connection is held only while open
//! (from its SYN or first payload to both FINs or a RST), so memory follows
//! the open connections.

use super::{POT_PORT, WEBAPP_PORT};
use crate::dissect::http::StartLineRef;
use crate::dissect::{detect_start_line, tls, Protocol};
use crate::flow::Endpoint;
use crate::source::CaptureReader;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Bytes of a segment searched for its first line.
const MAX_LINE: usize = 8192;

/// How a role's port was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Found {
    /// From the traffic.
    Detected,
    /// From `--web-port` / `--pot-port`.
    Flag,
    /// Looked for and not found: the lab's port is named.
    Missing,
    /// Not looked for (the TUI's diagram pane, a `Collector` built without
    /// roles): the lab's port.
    Default,
}

/// One role: its port, how it was decided, the frames that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub port: u16,
    pub found: Found,
    /// Why, in a sentence that cites `frames` as `#N`.
    pub how: String,
    pub frames: Vec<u64>,
}

/// The two servers of the lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabRoles {
    pub web_app: Role,
    pub pot: Role,
}

impl Default for LabRoles {
    /// The lab's 5031 and 5030, not looked for.
    fn default() -> Self {
        let role = |port| Role {
            port,
            found: Found::Default,
            how: format!("the lab's port {port} (roles were not detected here)"),
            frames: Vec::new(),
        };
        LabRoles {
            web_app: role(WEBAPP_PORT),
            pot: role(POT_PORT),
        }
    }
}

impl LabRoles {
    /// Roles from the flags where given, else the lab's ports, without
    /// looking at the traffic (a capture that can be read only once).
    pub fn without_detection(web: Option<u16>, pot: Option<u16>) -> Self {
        let mut r = LabRoles::default();
        for (role, flag, name) in [
            (&mut r.web_app, web, "--web-port"),
            (&mut r.pot, pot, "--pot-port"),
        ] {
            if let Some(port) = flag {
                *role = Role {
                    port,
                    found: Found::Flag,
                    how: format!("from {name} {port}"),
                    frames: Vec::new(),
                };
            }
        }
        r
    }

    /// The diagram's lanes: Browser → Web app on the web port, Web app →
    /// Coffee pot on the pot's.
    pub fn diagram_roles(&self) -> super::Roles {
        let mut r = super::Roles::default();
        r.rules[0].port = self.web_app.port;
        r.rules[1].port = self.pot.port;
        r
    }
}

/// Per server port.
#[derive(Debug, Clone, Default)]
struct Server {
    /// HTTP request lines sent to it, and the first one's frame.
    http_requests: u64,
    first_http: Option<u64>,
    /// HTCPCP start lines either way, and the first request's (or message's)
    /// frame.
    htcpcp: u64,
    first_htcpcp_request: Option<u64>,
    first_htcpcp_message: Option<u64>,
    /// Connections whose first payload is TLS, and the first one's frame.
    tls_conns: u64,
    first_tls: Option<u64>,
    /// Times its host opened an HTCPCP exchange while one of its clients
    /// waited; the first (client's waiting request, HTCPCP message, HTCPCP
    /// server port).
    nested: u64,
    first_nested: Option<(u64, u64, u16)>,
}

/// One open connection.
#[derive(Debug, Clone, Default)]
struct Conn {
    /// The server endpoint, once known (SYN, or the first start line).
    server: Option<Endpoint>,
    proto: Option<Protocol>,
    /// A direction's first payload was looked at: [lower endpoint, higher].
    looked: [bool; 2],
    /// A client request (or, for TLS, Application Data) waits for the
    /// server: the frame where the wait began.
    waiting: Option<u64>,
    fins: u8,
}

/// The detection (see the module doc): feed every frame with [`add`], then
/// [`decide`].
///
/// [`add`]: Detector::add
/// [`decide`]: Detector::decide
#[derive(Debug, Default)]
pub struct Detector {
    frame: u64,
    conns: FxHashMap<(Endpoint, Endpoint), Conn>,
    servers: FxHashMap<u16, Server>,
    /// Connections waiting, by server endpoint: how many, latest frame.
    waiting: FxHashMap<Endpoint, (u32, u64)>,
}

impl Server {
    /// The frame that shows HTCPCP best: the first request to it, else the
    /// first HTCPCP message.
    fn first_htcpcp(&self) -> Option<u64> {
        self.first_htcpcp_request.or(self.first_htcpcp_message)
    }
}

impl Detector {
    pub fn new() -> Self {
        Detector::default()
    }

    /// One frame, in capture order (every frame counts, TCP or not, so
    /// that frame numbers are Wireshark's).
    pub fn add(&mut self, link_type: u32, data: &[u8]) {
        self.frame += 1;
        let frame = self.frame;
        let Some(seg) = crate::decode::tcp_segment(link_type, data) else {
            return;
        };
        let (src, dst) = seg.endpoints();
        let tcp = &seg.tcp;
        let payload = tcp.payload();
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        // Pure ACKs and FINs of connections not held (closed, or begun
        // before the capture) create nothing: memory follows open ones.
        let c = if tcp.syn() || !payload.is_empty() {
            self.conns.entry(key).or_default()
        } else if let Some(c) = self.conns.get_mut(&key) {
            c
        } else {
            return;
        };
        if tcp.syn() && c.server.is_none() {
            c.server = Some(if tcp.ack() { src } else { dst });
        }
        if !payload.is_empty() {
            let dir = usize::from(src != key.0);
            // A start line is looked for in the first 8 KiB only (a body
            // segment without a line end costs no more than that).
            let head = &payload[..payload.len().min(MAX_LINE)];
            let line = &head[..memchr::memchr(b'\n', head).unwrap_or(head.len())];
            let tls_record = tls::looks_like_record(payload);
            let start = if tls_record {
                None
            } else {
                detect_start_line(line)
            };
            if !c.looked[dir] {
                c.looked[dir] = true;
                let class = match start {
                    Some((p, _)) => Some(p),
                    None if tls_record => Some(Protocol::Tls),
                    None => None,
                };
                if c.server.is_none() {
                    c.server = Some(match start {
                        Some((_, StartLineRef::Response { .. })) => src,
                        _ => dst,
                    });
                }
                match (c.proto, class) {
                    (_, Some(Protocol::Htcpcp)) if c.proto != Some(Protocol::Htcpcp) => {
                        c.proto = class;
                        let server = c.server.expect("set above");
                        let client = if server == src { dst } else { src };
                        Self::htcpcp_opened(
                            &mut self.servers,
                            &self.waiting,
                            server.port,
                            client,
                            frame,
                        );
                    }
                    (None, Some(Protocol::Tls)) => {
                        c.proto = class;
                        let s = self.servers.entry(c.server.expect("set").port).or_default();
                        s.tls_conns += 1;
                        s.first_tls.get_or_insert(frame);
                    }
                    (None, _) => c.proto = class,
                    _ => {}
                }
            }
            let server = c.server.expect("set above");
            let from_client = server == dst;
            let s = self.servers.entry(server.port).or_default();
            let request = matches!(start, Some((_, StartLineRef::Request { .. })));
            if let Some((p, _)) = start {
                if p == Protocol::Htcpcp || c.proto == Some(Protocol::Htcpcp) {
                    s.htcpcp += 1;
                    s.first_htcpcp_message.get_or_insert(frame);
                    if from_client && request {
                        s.first_htcpcp_request.get_or_insert(frame);
                    }
                }
            }
            let tls_data = c.proto == Some(Protocol::Tls) && payload[0] == 23;
            if from_client && request && c.proto != Some(Protocol::Htcpcp) {
                s.http_requests += 1;
                s.first_http.get_or_insert(frame);
            }
            if from_client && (request || tls_data) && c.proto != Some(Protocol::Htcpcp) {
                if c.waiting.is_none() {
                    c.waiting = Some(frame);
                    let w = self.waiting.entry(server).or_insert((0, frame));
                    w.0 += 1;
                    w.1 = frame;
                }
            } else if !from_client && c.proto != Some(Protocol::Tls) {
                // The answer came: HTTP is one request at a time. A TLS
                // connection stays in use until the server's FIN (its
                // session tickets come after the first request).
                Self::unwait(&mut self.waiting, c, server);
            }
        }
        if tcp.fin() || tcp.rst() {
            let server = c.server;
            if tcp.rst() || server == Some(src) {
                if let Some(server) = server {
                    Self::unwait(&mut self.waiting, c, server);
                }
            }
            c.fins += u8::from(tcp.fin());
            if tcp.rst() || c.fins >= 2 {
                self.conns.remove(&key);
            }
        }
    }

    fn unwait(waiting: &mut FxHashMap<Endpoint, (u32, u64)>, c: &mut Conn, server: Endpoint) {
        if c.waiting.take().is_some() {
            if let Some(w) = waiting.get_mut(&server) {
                w.0 = w.0.saturating_sub(1);
            }
        }
    }

    /// A connection to `pot_port` from `client` turned out to be HTCPCP at
    /// `frame`: every server at the client's address with a client waiting
    /// is asking the pot on that client's behalf.
    fn htcpcp_opened(
        servers: &mut FxHashMap<u16, Server>,
        waiting: &FxHashMap<Endpoint, (u32, u64)>,
        pot_port: u16,
        client: Endpoint,
        frame: u64,
    ) {
        for (ep, &(n, wait_frame)) in waiting {
            if n > 0 && ep.addr == client.addr && ep.port != pot_port {
                let s = servers.entry(ep.port).or_default();
                s.nested += 1;
                s.first_nested.get_or_insert((wait_frame, frame, pot_port));
            }
        }
    }

    /// The roles, `web` / `pot` given by flags where set.
    pub fn decide(self, web: Option<u16>, pot: Option<u16>) -> LabRoles {
        let servers = self.servers;
        let mut by_port: Vec<(u16, &Server)> = servers.iter().map(|(&p, s)| (p, s)).collect();
        by_port.sort_by_key(|&(p, _)| p);
        let list = |ports: &[u16]| {
            ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        // The pot.
        let pot = match pot {
            Some(port) => Role {
                port,
                found: Found::Flag,
                how: match servers.get(&port).and_then(|s| s.first_htcpcp()) {
                    Some(f) => {
                        format!("from --pot-port {port}; the first HTCPCP message on it is #{f}")
                    }
                    None => format!("from --pot-port {port}; no HTCPCP was seen on it"),
                },
                frames: servers
                    .get(&port)
                    .and_then(|s| s.first_htcpcp())
                    .into_iter()
                    .collect(),
            },
            None => {
                let mut cands: Vec<(u16, &Server)> = by_port
                    .iter()
                    .copied()
                    .filter(|&(p, s)| s.htcpcp > 0 && Some(p) != web)
                    .collect();
                // Most HTCPCP messages first; the lower port on a tie.
                cands.sort_by_key(|&(p, s)| (std::cmp::Reverse(s.htcpcp), p));
                match cands.first() {
                    Some(&(port, s)) => {
                        let f = s.first_htcpcp().expect("counted");
                        let what = if s.first_htcpcp_request.is_some() {
                            "request"
                        } else {
                            "message"
                        };
                        let mut how = format!(
                            "the server on port {port} speaks HTCPCP (first HTCPCP {what} #{f}; {} in all)",
                            plural(s.htcpcp, "HTCPCP message", "HTCPCP messages")
                        );
                        if cands.len() > 1 {
                            let others: Vec<u16> = cands[1..].iter().map(|c| c.0).collect();
                            how.push_str(&format!(
                                "; port {} also carried HTCPCP, less of it: port {port} has the most HTCPCP messages",
                                list(&others)
                            ));
                        }
                        Role {
                            port,
                            found: Found::Detected,
                            how,
                            frames: vec![f],
                        }
                    }
                    None => Role {
                        port: POT_PORT,
                        found: Found::Missing,
                        how: format!("not found: no server in this capture speaks HTCPCP; the answers use the lab's port {POT_PORT}"),
                        frames: Vec::new(),
                    },
                }
            }
        };
        // The web app.
        let first_web = |s: &Server| s.first_http.or(s.first_tls);
        let web = match web {
            Some(port) => Role {
                port,
                found: Found::Flag,
                how: match servers.get(&port).and_then(first_web) {
                    Some(f) => format!(
                        "from --web-port {port}; the first request (or TLS record) to it is #{f}"
                    ),
                    None => format!("from --web-port {port}; no HTTP or TLS was seen on it"),
                },
                frames: servers.get(&port).and_then(first_web).into_iter().collect(),
            },
            None => {
                let cands = || by_port.iter().copied().filter(move |&(p, _)| p != pot.port);
                let best = |f: &dyn Fn(&Server) -> (u64, u64)| {
                    let mut v: Vec<(u16, &Server)> = cands().filter(|(_, s)| f(s).0 > 0).collect();
                    v.sort_by_key(|&(p, s)| {
                        let (a, b) = f(s);
                        (std::cmp::Reverse(a), std::cmp::Reverse(b), p)
                    });
                    v
                };
                let nested = best(&|s| (s.nested, s.http_requests));
                let http = best(&|s| (s.http_requests, 0));
                if let Some(&(port, s)) = nested.first() {
                    let (wait, asked, asked_port) = s.first_nested.expect("counted");
                    let mut frames: Vec<u64> = first_web(s).into_iter().collect();
                    frames.extend([wait, asked]);
                    frames.dedup();
                    let mut how = format!(
                        "the server on port {port} asks the pot for its clients: a request to it (#{wait}) was still waiting when its host sent HTCPCP to port {} (#{asked}); {} began so",
                        asked_port,
                        plural(s.nested, "exchange with the pot", "exchanges with the pot")
                    );
                    if let Some(f) = first_web(s) {
                        how.push_str(&format!("; first request (or TLS record) to it #{f}"));
                    }
                    if nested.len() > 1 {
                        let others: Vec<u16> = nested[1..].iter().map(|c| c.0).collect();
                        how.push_str(&format!("; port {} did so too, less often", list(&others)));
                    }
                    Role {
                        port,
                        found: Found::Detected,
                        how,
                        frames,
                    }
                } else if let Some(&(port, s)) = http.first() {
                    let f = s.first_http.expect("counted");
                    let how = if http.len() == 1 {
                        format!(
                            "the only HTTP server, on port {port} (first request #{f}, {} in all); no server here asks the pot on its clients' behalf",
                            plural(s.http_requests, "request", "requests")
                        )
                    } else {
                        let others: Vec<u16> = http[1..].iter().map(|c| c.0).collect();
                        format!(
                            "of {} HTTP servers, the one on port {port} has the most requests ({}, first #{f}; also port {}); none asks the pot on its clients' behalf",
                            http.len(),
                            s.http_requests,
                            list(&others)
                        )
                    };
                    Role {
                        port,
                        found: Found::Detected,
                        how,
                        frames: vec![f],
                    }
                } else {
                    Role {
                        port: WEBAPP_PORT,
                        found: Found::Missing,
                        how: format!("not found: no HTTP server in this capture, and no server that asks the pot; the answers use the lab's port {WEBAPP_PORT}"),
                        frames: Vec::new(),
                    }
                }
            }
        };
        LabRoles { web_app: web, pot }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Runs the [`Detector`] over `reader` to its end (or its damage) and
/// decides; `web` / `pot` are the flags.
pub fn detect(reader: &mut CaptureReader, web: Option<u16>, pot: Option<u16>) -> LabRoles {
    detect_first(reader, web, pot, (u64::MAX, u64::MAX))
}

/// [`detect`] over the first frames only, up to `frames` frames or `bytes`
/// bytes of them: the report's guess before its pass, which checks it
/// against the whole capture ([`super::pass::collect_detecting`]).
pub fn detect_first(
    reader: &mut CaptureReader,
    web: Option<u16>,
    pot: Option<u16>,
    (frames, bytes): (u64, u64),
) -> LabRoles {
    let mut d = Detector::new();
    let mut read = 0u64;
    while d.frame < frames && read < bytes {
        let Ok(Some(raw)) = reader.next_frame() else {
            break;
        };
        read += raw.data.len() as u64;
        d.add(raw.link_type, raw.data);
    }
    d.decide(web, pot)
}

impl LabRoles {
    /// The same two ports (however they were found).
    pub fn same_ports(&self, other: &LabRoles) -> bool {
        self.web_app.port == other.web_app.port && self.pot.port == other.pot.port
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::linktype;
    use etherparse::PacketBuilder;

    const APP: [u8; 4] = [10, 0, 0, 1];
    const BROWSER: [u8; 4] = [10, 0, 0, 2];
    const POT: [u8; 4] = [10, 0, 0, 3];

    /// One raw-IP TCP segment: `flags` of "S", "SA", "A", "PA", "FA".
    fn seg(src: ([u8; 4], u16), dst: ([u8; 4], u16), flags: &str, payload: &[u8]) -> Vec<u8> {
        let mut b = PacketBuilder::ipv4(src.0, dst.0, 64).tcp(src.1, dst.1, 1, 65535);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('A') {
            b = b.ack(1);
        }
        if flags.contains('P') {
            b = b.psh();
        }
        if flags.contains('F') {
            b = b.fin();
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    }

    fn run(frames: &[Vec<u8>], web: Option<u16>, pot: Option<u16>) -> LabRoles {
        let mut d = Detector::new();
        for f in frames {
            d.add(linktype::RAW, f);
        }
        d.decide(web, pot)
    }

    /// A browser on HTTPS (7443) whose request waits while the web app asks
    /// the pot (7000), whose request is HTTP-looking (the lab's bad-scheme
    /// test) and whose answer is HTCPCP.
    fn https_lab() -> Vec<Vec<u8>> {
        let (b, w, a, p) = ((BROWSER, 50000), (APP, 7443), (APP, 40000), (POT, 7000));
        vec![
            seg(b, w, "S", b""),
            seg(w, b, "SA", b""),
            seg(b, w, "A", b""),
            // A TLS Application Data record from the browser.
            seg(b, w, "PA", &[23, 3, 3, 0, 2, 0xab, 0xcd]),
            seg(a, p, "S", b""),
            seg(p, a, "SA", b""),
            seg(a, p, "PA", b"GET caffeine://ducky HTTP/1.1\r\n\r\n"),
            seg(p, a, "PA", b"HTCPCP/1.1 400 Bad Request\r\n\r\n"),
            seg(p, a, "FA", b""),
            seg(a, p, "FA", b""),
            seg(w, b, "PA", &[23, 3, 3, 0, 2, 0x12, 0x34]),
            seg(w, b, "FA", b""),
            seg(b, w, "FA", b""),
        ]
    }

    #[test]
    fn the_pot_is_the_htcpcp_server_and_the_web_app_asks_it() {
        let r = run(&https_lab(), None, None);
        assert_eq!(r.pot.port, 7000);
        assert_eq!(r.pot.found, Found::Detected);
        // The pot's answer is the first HTCPCP message (its request looked
        // like HTTP).
        assert_eq!(r.pot.frames, vec![8]);
        assert_eq!(r.web_app.port, 7443);
        assert_eq!(r.web_app.found, Found::Detected);
        // The browser's first TLS record, the same frame waiting, the pot's
        // first HTCPCP message.
        assert_eq!(r.web_app.frames, vec![4, 8]);
        assert!(r.web_app.how.contains("#4") && r.web_app.how.contains("7000"));
    }

    #[test]
    fn a_lone_tls_server_is_not_taken_and_flags_win() {
        // Without the pot's leg, TLS alone names no web app.
        let frames: Vec<Vec<u8>> = https_lab()
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !(4..10).contains(i))
            .map(|(_, f)| f)
            .collect();
        let r = run(&frames, None, None);
        assert_eq!(r.web_app.found, Found::Missing);
        assert_eq!(r.web_app.port, WEBAPP_PORT);
        assert_eq!(r.pot.found, Found::Missing);
        assert_eq!(r.pot.port, POT_PORT);
        // Flags: a web port given is kept even where nothing was seen, and
        // the pot is not looked for on the web app's port.
        let r = run(&https_lab(), Some(7000), None);
        assert_eq!(r.web_app.port, 7000);
        assert_eq!(r.web_app.found, Found::Flag);
        assert_eq!(r.pot.found, Found::Missing);
        let r = run(&https_lab(), None, Some(9999));
        assert_eq!(r.pot.port, 9999);
        assert_eq!(r.pot.found, Found::Flag);
        assert!(r.pot.frames.is_empty());
        // The web app is then the server whose clients waited: still 7443,
        // and 7000 (the real pot) is a candidate no more (no HTTP request).
        assert_eq!(r.web_app.port, 7443);
        assert!(
            r.web_app.how.contains("HTCPCP to port 7000"),
            "{}",
            r.web_app.how
        );
    }

    #[test]
    fn closed_connections_are_forgotten() {
        let mut d = Detector::new();
        for f in https_lab() {
            d.add(linktype::RAW, &f);
        }
        assert!(d.conns.is_empty(), "{:?}", d.conns);
        assert!(d.waiting.values().all(|w| w.0 == 0));
    }
}
