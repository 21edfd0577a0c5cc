//! [`Tally`]: what the answers need, folded in while the collector reads
//! the capture, in memory that does not grow with it (see the parent
//! module). Here: the rows it keeps, and the connection events (opened,
//! closing, forgotten) and TLS records; each HTTP/HTCPCP message is
//! folded in by `messages.rs`.

use super::*;

/// A message as quoted in the evidence.
#[derive(Debug, Clone)]
pub(super) struct Quoted {
    pub(super) frame: u64,
    pub(super) stream: u32,
    pub(super) start_line: String,
    pub(super) quote: String,
}

/// (frame, stream, start line).
pub(super) type Line = (u64, u32, String);

/// Requests and responses of one protocol on one port (Task 3).
#[derive(Debug, Clone)]
pub(super) struct MsgCounts {
    pub(super) requests: Cited<Line>,
    pub(super) responses: Cited<Line>,
    /// Connections that carried at least one of them.
    pub(super) connections: u64,
}

/// Connections to one of the lab's ports (Task 3, 4, 5).
#[derive(Debug, Clone)]
pub(super) struct PortStats {
    pub(super) connections: Cited<(u32, u64, u16, u16, String)>,
    /// Client ports seen, one bit each.
    pub(super) client_ports: Vec<u64>,
}

impl PortStats {
    pub(super) fn new(cap: usize) -> Self {
        PortStats {
            connections: Cited::new(cap),
            client_ports: vec![0; 1024],
        }
    }
    pub(super) fn distinct_client_ports(&self) -> u32 {
        self.client_ports.iter().map(|w| w.count_ones()).sum()
    }
    pub(super) fn first_client_ports(&self, n: usize) -> Vec<u16> {
        (0..=u16::MAX)
            .filter(|&p| self.client_ports[p as usize / 64] & (1 << (p % 64)) != 0)
            .take(n)
            .collect()
    }
}

/// One endpoint pair by role (Task 1): the connections to one server port.
#[derive(Debug, Clone)]
pub(super) struct Pair {
    pub(super) server_port: u16,
    pub(super) connections: u64,
    pub(super) client_addrs: Vec<String>,
    pub(super) server_addrs: Vec<String>,
    /// Protocol name -> connections that carried it, first frame of each.
    pub(super) protocols: Vec<(&'static str, Cited<u64>)>,
}

/// Task 1: who talks to the pot.
#[derive(Debug, Clone)]
pub(super) struct PotReach {
    /// Connections to the pot opened while a browser request waited for its
    /// answer: (stream, first frame, browser stream, browser frame, the
    /// browser's connection is TLS).
    pub(super) nested: Cited<(u32, u64, u32, u64, bool)>,
    /// Connections to the pot opened while no browser request waited.
    pub(super) alone: Cited<(u32, u64, String)>,
    /// Requests to the pot with an origin-form target (`GET /`), as a browser
    /// sends, not a `coffee://` URI.
    pub(super) origin_form: Cited<Line>,
    /// Client addresses of the pot's connections, with their counts.
    pub(super) client_addrs: Vec<(String, u64)>,
}

/// Task 4: the HTCPCP messages of one direction.
#[derive(Debug, Clone)]
pub(super) struct PotQuotes {
    /// First message of each distinct start line.
    pub(super) distinct: Vec<String>,
    pub(super) distinct_more: bool,
    pub(super) quotes: Cited<Quoted>,
    pub(super) all: Cited<Line>,
    pub(super) with_headers: u64,
    pub(super) with_body: u64,
}

impl PotQuotes {
    pub(super) fn new(cap: usize) -> Self {
        PotQuotes {
            distinct: Vec::new(),
            distinct_more: false,
            quotes: Cited::new(cap),
            all: Cited::new(cap),
            with_headers: 0,
            with_body: 0,
        }
    }
}

/// Task 5: one browser connection's requests and teardown.
#[derive(Debug, Clone)]
pub(super) struct PersistRow {
    pub(super) stream: u32,
    pub(super) endpoints: String,
    pub(super) requests: u32,
    pub(super) client_fin: Option<u64>,
    pub(super) server_fin: Option<u64>,
}

#[derive(Debug, Clone)]
pub(super) struct AssetRow {
    pub(super) frame: u64,
    pub(super) stream: u32,
    pub(super) start_line: String,
    pub(super) target: String,
    pub(super) response: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Form {
    pub(super) frame: u64,
    pub(super) stream: u32,
    pub(super) start_line: String,
    pub(super) pairs: Vec<(String, String)>,
    pub(super) answered: bool,
    pub(super) pot: Option<(Quoted, Option<String>, String)>,
}

/// Task 6: one response with the request that caused it.
#[derive(Debug, Clone)]
pub(super) struct CodeRow {
    pub(super) request: Option<(u64, String, String)>,
    pub(super) response: u64,
    pub(super) stream: u32,
    pub(super) start_line: String,
    pub(super) why: String,
    /// The 302's `Location`.
    pub(super) location: Option<String>,
    /// The request's `If-None-Match` and `If-Modified-Since` (for a 304).
    pub(super) conditions: (Option<String>, Option<String>),
}

/// Task 7: the browser's exchange around a pot error.
#[derive(Debug, Clone)]
pub(super) struct Outer {
    pub(super) request: u64,
    pub(super) request_line: String,
    pub(super) response: u64,
    pub(super) response_line: String,
    pub(super) status: Option<u16>,
    pub(super) title: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct ErrRow {
    pub(super) response: u64,
    pub(super) stream: u32,
    pub(super) start_line: String,
    pub(super) body: String,
    pub(super) request: Option<(u64, String, String)>,
    pub(super) outer: Option<Outer>,
}

/// Task 8: TLS on the web app's port.
#[derive(Debug, Clone, Default)]
pub(super) struct TlsStats {
    pub(super) records: u64,
    pub(super) kinds: Vec<(String, Vec<u64>)>,
    pub(super) app_records: u64,
    pub(super) app_bytes: u64,
    pub(super) versions: Vec<String>,
    pub(super) certificate: Option<(u64, u32, String)>,
    /// With a key log: records decrypted, HTTP messages read from them (the
    /// first few: frame, stream, start line), records left opaque.
    pub(super) decrypted: u64,
    pub(super) decrypted_http: u64,
    pub(super) decrypted_examples: Vec<(u64, u32, String)>,
    pub(super) opaque_with_keys: u64,
}

/// What the answers need, accumulated in one pass (see the module doc).
#[derive(Debug, Clone)]
pub struct Tally {
    /// The web app's and the pot's server ports (`report::roles`).
    pub(super) web_port: u16,
    pub(super) pot_port: u16,
    pub(super) cap: usize,
    pub(super) max_body: usize,
    pub(super) app_seen: bool,
    // Connections, as they are forgotten.
    pub(super) conns: u64,
    pub(super) complete: u64,
    pub(super) handshakes: Cited<(u32, [Option<u64>; 3], &'static str, String)>,
    pub(super) max_requests: u32,
    // Task 1.
    pub(super) pairs: Vec<Pair>,
    pub(super) other_pairs: u64,
    pub(super) pot: PotReach,
    pub(super) browser_addrs: Vec<String>,
    pub(super) webapp_addrs: Vec<String>,
    /// Browser requests waiting for their answer: frame -> (stream, start line).
    pub(super) pending: BTreeMap<u64, (u32, String)>,
    /// Browser TLS connections in use: stream -> frame of the client's
    /// first Application Data record (until the web app's FIN).
    pub(super) tls_busy: BTreeMap<u32, u64>,
    // Task 3.
    pub(super) web_ports: PortStats,
    pub(super) pot_ports: PortStats,
    pub(super) http_counts: MsgCounts,
    pub(super) htcpcp_counts: MsgCounts,
    // Task 4.
    pub(super) pot_requests: PotQuotes,
    pub(super) pot_responses: PotQuotes,
    pub(super) methods: Names,
    pub(super) headers: Names,
    // Task 5.
    pub(super) base_page: Option<(Quoted, Vec<u64>)>,
    pub(super) versions: Vec<String>,
    pub(super) web_requests: u64,
    pub(super) persist: Cited<PersistRow>,
    pub(super) request_conns: u64,
    pub(super) max_per_conn: u32,
    pub(super) server_first: u64,
    pub(super) connection_headers: Cited<(u64, u32, String, String)>,
    pub(super) connection_values: Vec<String>,
    pub(super) assets: Cited<AssetRow>,
    pub(super) asset_conns: u64,
    pub(super) conditional: u64,
    pub(super) form: Option<Form>,
    // Task 6: 200, 302, 304.
    pub(super) codes: [Cited<CodeRow>; 3],
    // Task 7: 406, 418; browser request frame -> errors waiting for it.
    pub(super) errors: [Cited<ErrRow>; 2],
    pub(super) waiting: HashMap<u64, Vec<(usize, u64)>>,
    // Task 8.
    pub(super) tls: TlsStats,
    pub(super) tls_streams: Cited<u32>,
    pub(super) http_on_web: u64,
    pub(super) pot_msgs: Cited<Line>,
    addr_names: AddrNames,
}

/// Addresses as text, remembered: a capture has few addresses and many
/// connections, and each closed connection names its two.
#[derive(Debug, Clone, Default)]
struct AddrNames {
    known: Vec<([u8; 16], bool, String)>,
}

impl AddrNames {
    /// How many addresses are remembered; the others are formatted each time.
    const KEPT: usize = 16;

    fn text(&mut self, e: &crate::flow::Endpoint, v6: bool) -> String {
        if let Some(k) = self.known.iter().find(|k| k.0 == e.addr && k.1 == v6) {
            return k.2.clone();
        }
        let text = addr_text(e, v6);
        if self.known.len() < Self::KEPT {
            self.known.push((e.addr, v6, text.clone()));
        }
        text
    }
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new(Limits::default())
    }
}

impl Tally {
    /// A tally for the lab's ports ([`WEBAPP_PORT`], [`POT_PORT`]).
    pub fn new(limits: Limits) -> Self {
        Tally::with_ports(limits, WEBAPP_PORT, POT_PORT)
    }

    /// A tally for the web app on `web` and the pot on `pot`.
    pub fn with_ports(limits: Limits, web: u16, pot: u16) -> Self {
        let cap = limits.max_cited;
        Tally {
            web_port: web,
            pot_port: pot,
            cap,
            max_body: limits.max_body,
            app_seen: false,
            conns: 0,
            complete: 0,
            handshakes: Cited::new(cap),
            max_requests: 0,
            pairs: Vec::new(),
            other_pairs: 0,
            pot: PotReach {
                nested: Cited::new(cap),
                alone: Cited::new(cap),
                origin_form: Cited::new(cap),
                client_addrs: Vec::new(),
            },
            browser_addrs: Vec::new(),
            webapp_addrs: Vec::new(),
            pending: BTreeMap::new(),
            tls_busy: BTreeMap::new(),
            web_ports: PortStats::new(cap),
            pot_ports: PortStats::new(cap),
            http_counts: MsgCounts {
                requests: Cited::new(cap),
                responses: Cited::new(cap),
                connections: 0,
            },
            htcpcp_counts: MsgCounts {
                requests: Cited::new(cap),
                responses: Cited::new(cap),
                connections: 0,
            },
            pot_requests: PotQuotes::new(cap),
            pot_responses: PotQuotes::new(cap),
            addr_names: AddrNames::default(),
            methods: Names::default(),
            headers: Names::default(),
            base_page: None,
            versions: Vec::new(),
            web_requests: 0,
            persist: Cited::new(cap),
            request_conns: 0,
            max_per_conn: 0,
            server_first: 0,
            connection_headers: Cited::new(5),
            connection_values: Vec::new(),
            assets: Cited::new(cap),
            asset_conns: 0,
            conditional: 0,
            form: None,
            codes: [Cited::new(cap), Cited::new(cap), Cited::new(cap)],
            errors: [Cited::new(cap), Cited::new(cap)],
            waiting: HashMap::new(),
            tls: TlsStats::default(),
            tls_streams: Cited::new(cap),
            http_on_web: 0,
            pot_msgs: Cited::new(cap),
        }
    }

    /// A connection's first packet.
    pub(crate) fn opened(&mut self, c: &mut Connection) {
        if c.server_port() != self.pot_port {
            return;
        }
        // The browser request waiting for its answer right now, the latest
        // one if several: the web app is asking the pot on its behalf.
        let http = self.pending.last_key_value().map(|(&f, v)| (v.0, f, false));
        let tls = self
            .tls_busy
            .iter()
            .max_by_key(|(_, &f)| f)
            .map(|(&s, &f)| (s, f, true));
        c.nested_in = match (http, tls) {
            (Some(h), Some(t)) => Some(if h.1 >= t.1 { h } else { t }),
            (h, t) => h.or(t),
        };
    }

    /// A FIN or RST from `side`: a browser connection the web app closes
    /// waits for nothing any more.
    pub(crate) fn closing(&mut self, c: &mut Connection, side: usize) {
        if c.server_port() != self.web_port || side == c.client_side() {
            return;
        }
        self.tls_busy.remove(&c.stream);
        if c.pending > 0 {
            self.pending.retain(|_, v| v.0 != c.stream);
            c.pending = 0;
        }
    }

    /// One HTTP or HTCPCP message, attributed to `frame`.
    pub(crate) fn message(
        &mut self,
        c: &mut Connection,
        frame: u64,
        from_a: bool,
        pdu: &Pdu,
        h: &HttpPdu,
        decrypted: bool,
    ) {
        self.app_seen = true;
        if decrypted {
            let t = &mut self.tls;
            t.decrypted_http += 1;
            if t.decrypted_examples.len() < 10 {
                t.decrypted_examples
                    .push((frame, c.stream, h.message.summary()));
            }
        }
        let htcpcp = h.protocol == Protocol::Htcpcp;
        let from_client = from_a == (c.client_side() == 0);
        let f = std::num::NonZeroU64::new(frame);
        if htcpcp {
            c.htcpcp += 1;
            c.first_htcpcp = c.first_htcpcp.or(f);
        } else {
            c.http += 1;
            c.first_http = c.first_http.or(f);
        }
        if from_client {
            c.requests += 1;
        }
        let port = c.server_port();
        if port == self.web_port {
            self.web_message(c, frame, from_client, pdu, h);
        } else if port == self.pot_port {
            self.pot_message(c, frame, from_client, h);
        }
    }
}

impl Tally {
    /// One TLS record.
    pub(crate) fn tls(
        &mut self,
        c: &mut Connection,
        frame: u64,
        from_a: bool,
        r: &tls::Record,
        protocol: Option<&str>,
    ) {
        self.app_seen = true;
        c.tls += 1;
        c.first_tls = c.first_tls.or(std::num::NonZeroU64::new(frame));
        if c.server_port() != self.web_port {
            return;
        }
        let from_client = from_a == (c.client_side() == 0);
        let server_fin = c.fin[1 - c.client_side()].is_some();
        if from_client && r.content_type == tls::APPLICATION_DATA && !server_fin {
            self.tls_busy.entry(c.stream).or_insert(frame);
        }
        let t = &mut self.tls;
        t.records += 1;
        if r.plaintext().is_some() {
            t.decrypted += 1;
        } else if r.decryption_note().is_some() {
            t.opaque_with_keys += 1;
        }
        // What an eavesdropper sees, key log or not.
        let info = r.info_without_keys();
        if let Some(k) = t.kinds.iter_mut().find(|k| k.0 == info) {
            if k.1.len() < MAX_KIND_FRAMES {
                k.1.push(frame);
            }
        } else if t.kinds.len() < MAX_NAMES {
            t.kinds.push((info.clone(), vec![frame]));
        }
        if r.content_type == tls::APPLICATION_DATA {
            t.app_records += 1;
            t.app_bytes += u64::from(r.length);
        }
        // The column names HTTP when a decrypted message is in the frame.
        if let Some(p) = protocol.filter(|p| p.starts_with("TLS") || p.starts_with("SSL")) {
            push_distinct(&mut t.versions, p);
        }
        if t.certificate.is_none() && info.split(", ").any(|x| x == "Certificate") {
            t.certificate = Some((frame, c.stream, info));
        }
    }

    /// A connection forgotten (closed, idle, or the end of the capture).
    pub(crate) fn closed(&mut self, c: &Connection) {
        self.conns += 1;
        let class = c.handshake();
        if class == Handshake::Complete {
            self.complete += 1;
        }
        self.handshakes.add(u64::from(c.stream), || {
            (
                c.stream,
                c.handshake_frames(),
                class.as_str(),
                c.endpoints_text(),
            )
        });
        self.max_requests = self.max_requests.max(c.requests);
        let (client, server) = c.client_server();
        let port = server.port;
        let caddr = self.addr_names.text(&client, c.v6);
        let saddr = self.addr_names.text(&server, c.v6);
        // Task 1: the pair and its protocols.
        let pair = match self.pairs.iter_mut().position(|p| p.server_port == port) {
            Some(i) => Some(i),
            None if self.pairs.len() < MAX_NAMES
                || port == self.web_port
                || port == self.pot_port =>
            {
                self.pairs.push(Pair {
                    server_port: port,
                    connections: 0,
                    client_addrs: Vec::new(),
                    server_addrs: Vec::new(),
                    protocols: Vec::new(),
                });
                Some(self.pairs.len() - 1)
            }
            None => None,
        };
        match pair {
            Some(i) => {
                let cap = self.cap;
                let p = &mut self.pairs[i];
                p.connections += 1;
                push_distinct(&mut p.client_addrs, &caddr);
                push_distinct(&mut p.server_addrs, &saddr);
                let mut protos: Vec<(&'static str, u64)> = Vec::new();
                for (name, n, first) in [
                    ("HTTP", c.http, c.first_http),
                    ("HTCPCP", c.htcpcp, c.first_htcpcp),
                    ("TLS", c.tls, c.first_tls),
                ] {
                    if let (true, Some(f)) = (n > 0, first) {
                        protos.push((name, f.get()));
                    }
                }
                if protos.is_empty() {
                    match c.first_payload {
                        Some(f) => protos.push((PROTO_DATA, f.get())),
                        None => protos.push((PROTO_NONE, c.first_frame)),
                    }
                }
                for (name, f) in protos {
                    let e = match p.protocols.iter().position(|x| x.0 == name) {
                        Some(j) => &mut p.protocols[j].1,
                        None => {
                            p.protocols.push((name, Cited::new(cap)));
                            &mut p.protocols.last_mut().expect("pushed").1
                        }
                    };
                    e.add(f, || f);
                }
            }
            None => self.other_pairs += 1,
        }
        let ports = if port == self.web_port {
            Some(&mut self.web_ports)
        } else if port == self.pot_port {
            Some(&mut self.pot_ports)
        } else {
            None
        };
        if let Some(ps) = ports {
            ps.client_ports[client.port as usize / 64] |= 1 << (client.port % 64);
            // Formatted only for the rows kept (a connection is formatted
            // once per closed connection otherwise: a tenth of the pass).
            ps.connections.add(u64::from(c.stream), || {
                (
                    c.stream,
                    c.first_frame,
                    client.port,
                    server.port,
                    c.endpoints_text(),
                )
            });
        }
        if port == self.web_port {
            push_distinct(&mut self.browser_addrs, &caddr);
            push_distinct(&mut self.webapp_addrs, &saddr);
            if c.http > 0 {
                self.http_counts.connections += 1;
            }
            if c.requests > 0 {
                self.request_conns += 1;
                self.max_per_conn = self.max_per_conn.max(c.requests);
                let cs = c.client_side();
                let (cf, sf) = (c.fin[cs].map(|x| x.get()), c.fin[1 - cs].map(|x| x.get()));
                if matches!((cf, sf), (Some(a), Some(b)) if b < a) || (cf.is_none() && sf.is_some())
                {
                    self.server_first += 1;
                }
                self.persist.add(u64::from(c.stream), || PersistRow {
                    stream: c.stream,
                    endpoints: c.endpoints_text(),
                    requests: c.requests,
                    client_fin: cf,
                    server_fin: sf,
                });
            }
            if c.assets > 0 {
                self.asset_conns += 1;
            }
            if c.tls > 0 {
                self.tls_streams.add(u64::from(c.stream), || c.stream);
            }
            self.tls_busy.remove(&c.stream);
            if c.pending > 0 {
                self.pending.retain(|_, v| v.0 != c.stream);
            }
        }
        if port == self.pot_port {
            if c.htcpcp > 0 {
                self.htcpcp_counts.connections += 1;
            }
            if let Some(a) = self.pot.client_addrs.iter_mut().find(|a| a.0 == caddr) {
                a.1 += 1;
            } else if self.pot.client_addrs.len() < MAX_NAMES {
                self.pot.client_addrs.push((caddr, 1));
            }
            match c.nested_in {
                Some((bs, bf, tls)) => self.pot.nested.add(u64::from(c.stream), || {
                    (c.stream, c.first_frame, bs, bf, tls)
                }),
                None => self.pot.alone.add(u64::from(c.stream), || {
                    (c.stream, c.first_frame, c.endpoints_text())
                }),
            }
        }
    }

    pub(crate) fn finish(&mut self) {
        self.pending.clear();
        self.tls_busy.clear();
        self.waiting.clear();
    }
}
