//! Field values of one packet, for filters and `-T fields`.
//!
//! [`PacketFields`] answers "the values of field X in this packet" in two
//! ways: the common frame/link/IP/TCP/UDP/ICMP fields are computed straight
//! from the [`Packet`] (no allocation, no field tree: the fast path), and
//! every other field is found in the field tree, built at most once per
//! packet and only when such a field is asked for. A test checks that both
//! ways give the same values for every fast field.

use super::fields::{self, FieldId, Ftype};
use crate::link::LinkHeader;
use crate::model::tree::{self, Field, Tree, Value};
use crate::model::Packet;
use etherparse::{LaxNetSlice, TransportSlice};
use std::cell::OnceCell;

/// A value as filters compare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Val<'a> {
    /// Integers, booleans (0/1) and frame numbers.
    Int(i128),
    /// Times, in nanoseconds.
    Time(i128),
    V4(u32),
    V6(u128),
    /// Byte strings, character strings, MAC addresses, protocol bytes,
    /// and the bytes a label covers.
    Bytes(&'a [u8]),
}

pub use super::fast::{fast_kind, Fast};

/// A field as the compiled filter and `-T fields` refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRef {
    pub id: FieldId,
    pub fast: Option<Fast>,
}

impl FieldRef {
    pub fn new(id: FieldId) -> Self {
        FieldRef {
            id,
            fast: fast_kind(fields::def(id).name),
        }
    }

    /// A protocol tshark knows and we never dissect: typed as a protocol
    /// (the `frame` entry's type), absent from every packet.
    pub fn absent_protocol() -> Self {
        FieldRef {
            id: fields::lookup("frame").expect("registered"),
            fast: Some(Fast::Absent),
        }
    }

    /// The `ip` protocol as its header bytes (Wireshark's item length).
    pub fn ip_header() -> Self {
        FieldRef {
            id: fields::lookup("ip").expect("registered"),
            fast: Some(Fast::IpHeader),
        }
    }

    /// Same field, always through the field tree (for tests).
    pub fn tree_only(id: FieldId) -> Self {
        FieldRef { id, fast: None }
    }
}

/// One packet's fields. Cheap to create; the field tree is built on first
/// need only.
pub struct PacketFields<'p, 'a> {
    pkt: &'p Packet<'a>,
    tree: OnceCell<Tree>,
    /// The application layers alone ([`tree::build_app`]), for the fields
    /// of [`APP_PROTOCOLS`] while the whole tree is not needed.
    app_tree: OnceCell<Tree>,
    /// The packet list's cells (`_ws.col.*`), computed on first need.
    cells: OnceCell<(String, String)>,
    /// The Time cell in the `-t` format, when not the default.
    time: OnceCell<String>,
}

impl<'p, 'a> PacketFields<'p, 'a> {
    pub fn new(pkt: &'p Packet<'a>) -> Self {
        PacketFields {
            pkt,
            tree: OnceCell::new(),
            app_tree: OnceCell::new(),
            cells: OnceCell::new(),
            time: OnceCell::new(),
        }
    }

    /// The Time cell (`_ws.col.Time`) as `-t`/`-u` write it; to be set
    /// before the cells are first read (the default is relative seconds).
    pub fn set_time_cell(&self, time: String) {
        let _ = self.time.set(time);
    }

    pub fn packet(&self) -> &'p Packet<'a> {
        self.pkt
    }

    /// The field tree, built once.
    pub fn tree(&self) -> &Tree {
        self.tree.get_or_init(|| tree::build(self.pkt))
    }

    /// The tree to read a field of `proto` from: the whole tree if it is
    /// built already, else for an application protocol its layers alone.
    fn tree_for(&self, proto: &str) -> &Tree {
        match self.tree.get() {
            Some(t) => t,
            None if APP_PROTOCOLS.contains(&proto) => {
                self.app_tree.get_or_init(|| tree::build_app(self.pkt))
            }
            None => self.tree(),
        }
    }

    /// The frame number and the list's cells (`view::list::write_cells`).
    fn cells(&self) -> &(String, String) {
        self.cells.get_or_init(|| {
            let mut cols = crate::model::summary::Columns::default();
            crate::model::summary::fill(self.pkt, &mut cols);
            let mut cells = String::new();
            match self.time.get() {
                Some(t) => {
                    cells.push_str(t);
                    crate::view::list::write_cells_after_time(&mut cells, &self.pkt.frame, &cols);
                }
                None => crate::view::list::write_cells(&mut cells, &self.pkt.frame, &cols),
            }
            (self.pkt.frame.number.to_string(), cells)
        })
    }

    /// True when the field (or protocol) is present.
    pub fn exists(&self, f: FieldRef) -> bool {
        self.each(f, &mut |_| true)
    }

    /// Calls `visit` with each value of the field, in tree order, until it
    /// returns true; returns whether it did.
    pub fn each(&self, f: FieldRef, visit: &mut dyn FnMut(Val<'_>) -> bool) -> bool {
        match f.fast {
            Some(k) => self.each_fast(k, visit),
            None => self.each_tree(f.id, visit),
        }
    }

    /// Calls `visit` with each value of the field found in a layer of its
    /// protocol that `layer(k, n)` accepts (`k`-th of `n`, from 1): `ip.addr#2`.
    pub fn each_in_layers(
        &self,
        f: FieldRef,
        layer: &dyn Fn(usize, usize) -> bool,
        visit: &mut dyn FnMut(Val<'_>) -> bool,
    ) -> bool {
        let def = fields::def(f.id);
        let proto = match def.ftype {
            Ftype::Protocol => def.name,
            _ => def.parent(),
        };
        // Our decoder has one layer of each of these: the fast path is it.
        if f.fast.is_some() && !matches!(proto, "http" | "htcpcp" | "tls") {
            return layer(1, 1) && self.each(f, visit);
        }
        if !TREE_PROTOCOLS.contains(&proto) || !self.exists(f) {
            return false;
        }
        let tree = self.tree_for(proto);
        let data = self.pkt.decoded.data;
        let n = tree.layers.iter().filter(|l| l.proto == proto).count();
        let names: &[&str] = if def.alias_of.is_empty() {
            std::slice::from_ref(&def.name)
        } else {
            def.alias_of
        };
        let mut k = 0;
        for l in tree.layers.iter().filter(|l| l.proto == proto) {
            k += 1;
            if !layer(k, n) {
                continue;
            }
            if def.ftype == Ftype::Protocol {
                if visit(Val::Bytes(span(data, l.start, l.len))) {
                    return true;
                }
                continue;
            }
            for name in names {
                let ftype = fields::lookup(name).map_or(def.ftype, |id| fields::def(id).ftype);
                if rec_fields(&l.fields, name, ftype, data, visit) {
                    return true;
                }
            }
        }
        false
    }

    fn each_tree(&self, id: FieldId, visit: &mut dyn FnMut(Val<'_>) -> bool) -> bool {
        let def = fields::def(id);
        // A protocol the tree never produces has no fields, and HTTP,
        // HTCPCP and TLS only exist where a message was completed: no need
        // to build the tree to know.
        let proto = match def.ftype {
            Ftype::Protocol => def.name,
            _ => def.parent(),
        };
        if !TREE_PROTOCOLS.contains(&proto) {
            return false;
        }
        if matches!(proto, "http" | "htcpcp" | "tls" | "websocket")
            && self
                .pkt
                .app
                .as_deref()
                .map_or(true, |a| a.messages.is_empty())
        {
            return false;
        }
        if !def.alias_of.is_empty() {
            return def
                .alias_of
                .iter()
                .any(|name| fields::lookup(name).is_some_and(|a| self.each_tree(a, &mut *visit)));
        }
        let tree = self.tree_for(proto);
        let data = self.pkt.decoded.data;
        if def.ftype == Ftype::Protocol {
            return tree
                .layers
                .iter()
                .filter(|l| l.proto == def.name)
                .any(|l| visit(Val::Bytes(span(data, l.start, l.len))));
        }
        tree.layers
            .iter()
            .any(|l| rec_fields(&l.fields, def.name, def.ftype, data, visit))
    }

    fn each_fast(&self, k: Fast, visit: &mut dyn FnMut(Val<'_>) -> bool) -> bool {
        use Fast::*;
        let pkt = self.pkt;
        let d = &pkt.decoded;
        let fr = &pkt.frame;
        let int = |v: u64| Val::Int(v as i128);
        match k {
            Absent => false,
            IpHeader => match &d.net {
                Some(LaxNetSlice::Ipv4(v4)) => visit(Val::Bytes(v4.header().slice())),
                _ => false,
            },
            Frame => visit(Val::Bytes(d.data)),
            FrameNumber => visit(int(fr.number)),
            FrameLen => visit(int(fr.orig_len as u64)),
            FrameCapLen => visit(int(fr.cap_len as u64)),
            FrameTimeRelative => visit(Val::Time(fr.rel_nanos)),
            FrameTimeDelta => visit(Val::Time(fr.delta_nanos)),
            FrameOffsetShift => visit(Val::Time(0)),
            FrameTimeEpoch | FrameTime => visit(Val::Time(
                fr.ts.secs as i128 * 1_000_000_000 + fr.ts.nanos as i128,
            )),
            FrameInterfaceId => visit(int(fr.interface_id as u64)),
            Column(which) => {
                let (number, cells) = self.cells();
                let cell = match which {
                    None => number.as_str(),
                    Some(i) => crate::view::list::split_cells(cells)[i as usize],
                };
                visit(Val::Bytes(cell.as_bytes()))
            }
            Eth | EthSrc | EthDst | EthAddr | EthType => {
                let LinkHeader::Ethernet { ethertype, .. } = d.link.header else {
                    return false;
                };
                let (dst, src) = (span(d.data, 0, 6), span(d.data, 6, 6));
                match k {
                    Eth => visit(Val::Bytes(span(d.data, 0, d.link.header_len))),
                    EthSrc => visit(Val::Bytes(src)),
                    EthDst => visit(Val::Bytes(dst)),
                    EthAddr => visit(Val::Bytes(dst)) || visit(Val::Bytes(src)),
                    _ => visit(int(ethertype as u64)),
                }
            }
            Vlan => {
                let LinkHeader::Ethernet { vlans, .. } = d.link.header else {
                    return false;
                };
                let tags = vlans.iter().flatten().count();
                tags > 0 && visit(Val::Bytes(span(d.data, 14, 4 * tags)))
            }
            // Wireshark's IPv6 dissector adds `ip.version` too (6).
            IpVersion if matches!(&d.net, Some(LaxNetSlice::Ipv6(_))) => visit(int(6)),
            Ip | IpSrc | IpDst | IpAddr | IpProto | IpTtl | IpLen | IpId | IpVersion | IpHdrLen => {
                let Some(LaxNetSlice::Ipv4(v4)) = &d.net else {
                    return false;
                };
                let h = v4.header();
                let src = u32::from_be_bytes(h.source());
                let dst = u32::from_be_bytes(h.destination());
                match k {
                    Ip => {
                        let start = d.offset_of(h.slice());
                        let len = h.slice().len() + v4.payload().payload.len();
                        visit(Val::Bytes(span(d.data, start, len)))
                    }
                    IpSrc => visit(Val::V4(src)),
                    IpDst => visit(Val::V4(dst)),
                    IpAddr => visit(Val::V4(src)) || visit(Val::V4(dst)),
                    IpProto => visit(int(h.protocol().0 as u64)),
                    IpTtl => visit(int(h.ttl() as u64)),
                    IpLen => visit(int(h.total_len() as u64)),
                    IpId => visit(int(h.identification() as u64)),
                    IpVersion => visit(int(4)),
                    _ => visit(int(h.ihl() as u64 * 4)),
                }
            }
            Ipv6 | Ipv6Src | Ipv6Dst | Ipv6Addr | Ipv6Nxt | Ipv6Hlim | Ipv6Plen => {
                let Some(LaxNetSlice::Ipv6(v6)) = &d.net else {
                    return false;
                };
                let h = v6.header();
                let src = u128::from_be_bytes(h.source());
                let dst = u128::from_be_bytes(h.destination());
                match k {
                    Ipv6 => {
                        let start = d.offset_of(h.slice());
                        let len = 40 + h.payload_length() as usize;
                        visit(Val::Bytes(span(d.data, start, len)))
                    }
                    Ipv6Src => visit(Val::V6(src)),
                    Ipv6Dst => visit(Val::V6(dst)),
                    Ipv6Addr => visit(Val::V6(src)) || visit(Val::V6(dst)),
                    Ipv6Nxt => visit(int(h.next_header().0 as u64)),
                    Ipv6Hlim => visit(int(h.hop_limit() as u64)),
                    _ => visit(int(h.payload_length() as u64)),
                }
            }
            Tcp | TcpSrcport | TcpDstport | TcpPort | TcpStream | TcpLen | TcpSeq | TcpSeqRaw
            | TcpAck | TcpAckRaw | TcpNxtseq | TcpHdrLen | TcpFlags | TcpFlag(_)
            | TcpWindowSizeValue | TcpWindowSize | TcpChecksum | TcpUrgentPointer
            | TcpCompleteness | TcpTimeRelative | TcpTimeDelta | TcpPayload => {
                let Some(TransportSlice::Tcp(tcp)) = &d.transport else {
                    return false;
                };
                let meta = pkt.tcp;
                let m = |f: fn(&crate::flow::TcpMeta) -> u64| meta.as_ref().map_or(0, f);
                match k {
                    Tcp => {
                        let start = d.offset_of(tcp.header_slice());
                        let len = tcp.header_len() + tcp.payload().len();
                        visit(Val::Bytes(span(d.data, start, len)))
                    }
                    TcpSrcport => visit(int(tcp.source_port() as u64)),
                    TcpDstport => visit(int(tcp.destination_port() as u64)),
                    TcpPort => {
                        visit(int(tcp.source_port() as u64))
                            || visit(int(tcp.destination_port() as u64))
                    }
                    TcpStream => visit(int(m(|m| m.stream as u64))),
                    TcpLen => visit(int(tcp.payload().len() as u64)),
                    TcpSeq => visit(int(m(|m| m.seq_shown() as u64))),
                    TcpSeqRaw => visit(int(tcp.sequence_number() as u64)),
                    TcpAck => visit(int(meta
                        .and_then(|m| m.ack_shown())
                        .unwrap_or(tcp.acknowledgment_number())
                        as u64)),
                    TcpAckRaw => visit(int(tcp.acknowledgment_number() as u64)),
                    TcpNxtseq => visit(int(m(|m| m.next_seq_shown() as u64))),
                    TcpHdrLen => visit(int(tcp.header_len() as u64)),
                    TcpFlags => visit(int(crate::flow::tcp_flags_u16(tcp) as u64)),
                    TcpFlag(mask) => {
                        visit(int((crate::flow::tcp_flags_u16(tcp) & mask != 0) as u64))
                    }
                    TcpWindowSizeValue => visit(int(tcp.window_size() as u64)),
                    TcpWindowSize => visit(int(
                        meta.map_or(tcp.window_size() as u32, |m| m.window) as u64,
                    )),
                    TcpChecksum => visit(int(tcp.checksum() as u64)),
                    TcpUrgentPointer => visit(int(tcp.urgent_pointer() as u64)),
                    TcpCompleteness => visit(int(m(|m| m.completeness as u64))),
                    TcpTimeRelative => visit(Val::Time(meta.map_or(0, |m| m.time_relative))),
                    TcpTimeDelta => visit(Val::Time(meta.map_or(0, |m| m.time_delta))),
                    _ => !tcp.payload().is_empty() && visit(Val::Bytes(tcp.payload())),
                }
            }
            Udp | UdpSrcport | UdpDstport | UdpPort | UdpLength | UdpChecksum => {
                let Some(TransportSlice::Udp(udp)) = &d.transport else {
                    return false;
                };
                match k {
                    Udp => visit(Val::Bytes(udp.slice())),
                    UdpSrcport => visit(int(udp.source_port() as u64)),
                    UdpDstport => visit(int(udp.destination_port() as u64)),
                    UdpPort => {
                        visit(int(udp.source_port() as u64))
                            || visit(int(udp.destination_port() as u64))
                    }
                    UdpLength => visit(int(udp.length() as u64)),
                    _ => visit(int(udp.checksum() as u64)),
                }
            }
            Icmp | IcmpType | IcmpCode => {
                let Some(TransportSlice::Icmpv4(icmp)) = &d.transport else {
                    return false;
                };
                match k {
                    Icmp => visit(Val::Bytes(icmp.slice())),
                    IcmpType => visit(int(icmp.type_u8() as u64)),
                    _ => visit(int(icmp.code_u8() as u64)),
                }
            }
            Http | HttpRequest | HttpResponse | HttpRequestMethod | HttpRequestUri
            | HttpResponseCode | Htcpcp | HtcpcpRequest | HtcpcpResponse | HtcpcpRequestMethod
            | HtcpcpResponseCode | Tls | TlsHandshakeType => self.each_app(k, visit),
            Icmpv6 | Icmpv6Type | Icmpv6Code => {
                let Some(TransportSlice::Icmpv6(icmp)) = &d.transport else {
                    return false;
                };
                match k {
                    Icmpv6 => visit(Val::Bytes(icmp.slice())),
                    Icmpv6Type => visit(int(icmp.type_u8() as u64)),
                    _ => visit(int(icmp.code_u8() as u64)),
                }
            }
        }
    }
}

impl PacketFields<'_, '_> {
    /// The application-layer fast fields, straight from [`Packet::app`]
    /// (the same values `model::app_tree` puts in the tree).
    fn each_app(&self, k: Fast, visit: &mut dyn FnMut(Val<'_>) -> bool) -> bool {
        use crate::dissect::http::StartLine;
        use crate::dissect::stream::PduBody;
        use crate::dissect::Protocol;
        use Fast::*;
        let Some(app) = self.pkt.app.as_deref() else {
            return false;
        };
        if app.messages.is_empty() {
            return false;
        }
        let payload: &[u8] = match &self.pkt.decoded.transport {
            Some(TransportSlice::Tcp(tcp)) => tcp.payload(),
            _ => &[],
        };
        if matches!(k, Tls | TlsHandshakeType) {
            let mut records = app.messages.iter().filter_map(|m| match &m.body {
                PduBody::Tls(r) => Some(r),
                PduBody::Http(_) | PduBody::WebSocket(_) => None,
            });
            if k == Tls {
                return records.next().is_some() && visit(Val::Bytes(payload));
            }
            return records.any(|r| {
                use crate::dissect::tls::HANDSHAKE;
                // A decrypted record counts by its real type.
                let (content_type, _, encrypted) = r.content();
                content_type == HANDSHAKE
                    && !r.invalid
                    && !encrypted
                    && r.handshakes
                        .iter()
                        .any(|h| visit(Val::Int(i128::from(h.msg_type))))
            });
        }
        let want = match k {
            Http | HttpRequest | HttpResponse | HttpRequestMethod | HttpRequestUri
            | HttpResponseCode => Protocol::Http,
            _ => Protocol::Htcpcp,
        };
        for m in &app.messages {
            let PduBody::Http(h) = &m.body else {
                continue;
            };
            if h.protocol != want {
                continue;
            }
            let line = &h.message.start_line;
            let hit = match k {
                Http | Htcpcp => visit(Val::Bytes(payload)),
                // The HTCPCP view's kind follows the start line alone
                // (`htcpcp::interpret`: a request line makes a request, a
                // status line or none a response, an invalid line no view),
                // so the HTCPCP fields need not read the view (its additions
                // and JSON body cost more than the whole message's parse):
                // they read the start line as HTTP's do (`want` picked the
                // protocol).
                HttpRequest | HtcpcpRequest => {
                    matches!(line, StartLine::Request { .. }) && visit(Val::Int(1))
                }
                HttpResponse | HtcpcpResponse => {
                    matches!(line, StartLine::Response { .. } | StartLine::None)
                        && visit(Val::Int(1))
                }
                HttpRequestMethod => match line {
                    StartLine::Request { method, .. } if method.is_ascii() => {
                        visit(Val::Bytes(method.as_bytes()))
                    }
                    StartLine::Request { method, .. } => {
                        let m = crate::model::app_tree::ascii_of(method);
                        visit(Val::Bytes(m.as_bytes()))
                    }
                    _ => false,
                },
                // `http.request.uri` is read often (`len(http.request.uri)`),
                // and the tree costs far more than the message's parse.
                HttpRequestUri => match line {
                    StartLine::Request { target, .. } if target.is_ascii() => {
                        visit(Val::Bytes(target.as_bytes()))
                    }
                    StartLine::Request { target, .. } => {
                        let t = crate::model::app_tree::ascii_of(target);
                        visit(Val::Bytes(t.as_bytes()))
                    }
                    _ => false,
                },
                HtcpcpRequestMethod => match line {
                    StartLine::Request { method, .. } => visit(Val::Bytes(method.as_bytes())),
                    _ => false,
                },
                HttpResponseCode | HtcpcpResponseCode => match line {
                    StartLine::Response { code, .. } => visit(Val::Int(i128::from(*code))),
                    _ => false,
                },
                _ => false,
            };
            if hit {
                return true;
            }
        }
        false
    }
}

/// The protocols (layer names) `tree::build` can produce. Fields of other
/// registered protocols are known to filters but absent from every packet,
/// without building the tree. A dissector that adds a layer to the tree adds
/// its name here (`tests/filter_fields.rs` checks every layer it meets).
pub const TREE_PROTOCOLS: &[&str] = &[
    "frame",
    "eth",
    "vlan",
    "null",
    "sll",
    "raw",
    "ip",
    "ipv6",
    "tcp",
    "udp",
    "icmp",
    "icmpv6",
    "data",
    "tcp.segments",
    "http",
    "htcpcp",
    "tls",
    "websocket",
    "websocket.fragments",
    "data-text-lines",
    "unknown",
    "_ws.malformed",
];

/// Protocols whose layers only the application layer makes
/// (`app_tree::push_layers`): [`tree::build_app`] has all their fields.
const APP_PROTOCOLS: &[&str] = &[
    "http",
    "htcpcp",
    "tls",
    "websocket",
    "websocket.fragments",
    "data-text-lines",
];

/// Visits the values of every field named `name` in `fields`, depth first.
fn rec_fields(
    fields: &[Field],
    name: &str,
    ftype: Ftype,
    data: &[u8],
    visit: &mut dyn FnMut(Val<'_>) -> bool,
) -> bool {
    for f in fields {
        if f.name == name {
            if let Some(v) = tree_val(f, ftype, data) {
                if visit(v) {
                    return true;
                }
            }
        }
        if !f.children.is_empty() && rec_fields(&f.children, name, ftype, data, visit) {
            return true;
        }
    }
    false
}

/// The values of a field in a built tree (`${field}` in the TUI: the
/// selected packet's), as literals.
pub fn tree_values(tree: &Tree, data: &[u8], id: FieldId) -> Vec<super::Lit> {
    use super::Lit;
    let def = fields::def(id);
    let names: &[&str] = if def.alias_of.is_empty() {
        std::slice::from_ref(&def.name)
    } else {
        def.alias_of
    };
    let mut out = Vec::new();
    let mut push = |v: Val<'_>| {
        out.push(match v {
            Val::Int(i) => Lit::Int(i),
            Val::Time(t) => Lit::Time(t),
            Val::V4(a) => Lit::V4(a, u32::MAX),
            Val::V6(a) => Lit::V6(a, u128::MAX),
            Val::Bytes(b) => Lit::Bytes(b.to_vec()),
        });
        false
    };
    for l in &tree.layers {
        if def.ftype == Ftype::Protocol {
            if l.proto == def.name {
                push(Val::Bytes(span(data, l.start, l.len)));
            }
            continue;
        }
        for name in names {
            let ftype = fields::lookup(name).map_or(def.ftype, |i| fields::def(i).ftype);
            rec_fields(&l.fields, name, ftype, data, &mut push);
        }
    }
    out
}

/// `data[start..start + len]`, clamped.
fn span(data: &[u8], start: usize, len: usize) -> &[u8] {
    let s = start.min(data.len());
    &data[s..start.saturating_add(len).min(data.len())]
}

/// A tree value as a filter value.
fn tree_val<'t>(f: &'t Field, ftype: Ftype, data: &'t [u8]) -> Option<Val<'t>> {
    Some(match &f.value {
        Value::None => Val::Bytes(span(data, f.start, f.len)),
        Value::UInt(v) | Value::Hex(v, _) => Val::Int(*v as i128),
        Value::Int(v) => Val::Int(*v as i128),
        Value::Bool(b) => Val::Int(*b as i128),
        Value::Str(s) if ftype == Ftype::RelTime => Val::Time(parse_seconds(s)?),
        // The fast path reads `frame.time` from the frame; the label's text
        // reads back only in UTC.
        Value::Str(s) if ftype == Ftype::AbsTime => Val::Time(super::abs_time::parse(s).ok()?),
        Value::Str(s) => Val::Bytes(s.as_bytes()),
        Value::Ipv4(a) => Val::V4(u32::from(*a)),
        Value::Ipv6(a) => Val::V6(u128::from(*a)),
        Value::Mac(m) => Val::Bytes(m),
        Value::Seconds(n, _) => Val::Time(*n),
        Value::Bytes(b) => Val::Bytes(b),
    })
}

/// `"12.5"`, `"-0.000001"` as nanoseconds.
pub fn parse_seconds(s: &str) -> Option<i128> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 9
        || int.len() > 20
    {
        return None;
    }
    let secs: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut nanos: i128 = 0;
    for i in 0..9 {
        nanos = nanos * 10 + frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as i128);
    }
    let v = secs * 1_000_000_000 + nanos;
    Some(if neg { -v } else { v })
}
