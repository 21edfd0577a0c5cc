//! The field registry: every display-filter name coffeeshark knows, with its
//! type, display base and description, as `tshark -G fields` lists them.
//!
//! One table serves the filter compiler (names and types are checked at
//! compile time), `-T fields` (how a value prints) and `coffeeshark fields`.
//! Names are Wireshark's; HTCPCP has no Wireshark names, so `htcpcp.*` are
//! ours in the same style. Fields of dissectors that do not exist yet
//! (HTTP, HTCPCP, TLS: issue 4) are registered so that filters naming them
//! compile; they match nothing until the field tree produces them.
//!
//! A test (`tests/filter_fields.rs`) checks that every field the field tree
//! produces is registered here with a matching type.

/// A field's type, Wireshark's `FT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ftype {
    /// A protocol (`tcp`): exists when the layer does; its value is the
    /// layer's bytes.
    Protocol,
    /// A label without a value (`FT_NONE`): existence only.
    None,
    Boolean,
    /// Unsigned integer of this many bits.
    UInt(u8),
    /// Signed integer of this many bits.
    Int(u8),
    FrameNum,
    Ipv4,
    Ipv6,
    Ether,
    Bytes,
    String,
    /// `FT_RELATIVE_TIME`: seconds with nanoseconds.
    RelTime,
    /// `FT_ABSOLUTE_TIME` (`frame.time`): nanoseconds since the epoch,
    /// shown in local time.
    AbsTime,
}

impl Ftype {
    /// Wireshark's `FT_*` name, as `tshark -G fields` prints it.
    pub fn ft_name(self) -> &'static str {
        match self {
            Ftype::Protocol => "FT_PROTOCOL",
            Ftype::None => "FT_NONE",
            Ftype::Boolean => "FT_BOOLEAN",
            Ftype::UInt(8) => "FT_UINT8",
            Ftype::UInt(16) => "FT_UINT16",
            Ftype::UInt(24) => "FT_UINT24",
            Ftype::UInt(32) => "FT_UINT32",
            Ftype::UInt(_) => "FT_UINT64",
            Ftype::Int(8) => "FT_INT8",
            Ftype::Int(16) => "FT_INT16",
            Ftype::Int(32) => "FT_INT32",
            Ftype::Int(_) => "FT_INT64",
            Ftype::FrameNum => "FT_FRAMENUM",
            Ftype::Ipv4 => "FT_IPv4",
            Ftype::Ipv6 => "FT_IPv6",
            Ftype::Ether => "FT_ETHER",
            Ftype::Bytes => "FT_BYTES",
            Ftype::String => "FT_STRING",
            Ftype::RelTime => "FT_RELATIVE_TIME",
            Ftype::AbsTime => "FT_ABSOLUTE_TIME",
        }
    }

    /// Wireshark's human name of the type, used in error messages.
    pub fn pretty(self) -> String {
        match self {
            Ftype::Protocol => "Protocol".into(),
            Ftype::None => "Label".into(),
            Ftype::Boolean => "Boolean".into(),
            Ftype::UInt(b) => format!("Unsigned integer ({} byte{})", b / 8, plural(b)),
            Ftype::Int(b) => format!("Signed integer ({} byte{})", b / 8, plural(b)),
            Ftype::FrameNum => "Frame number".into(),
            Ftype::Ipv4 => "IPv4 address".into(),
            Ftype::Ipv6 => "IPv6 address".into(),
            Ftype::Ether => "Ethernet or other MAC address".into(),
            Ftype::Bytes => "Byte sequence".into(),
            Ftype::String => "Character string".into(),
            Ftype::RelTime => "Time offset".into(),
            Ftype::AbsTime => "Date and time".into(),
        }
    }

    /// Integer-valued (compared as numbers, bit test allowed).
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Ftype::Boolean | Ftype::UInt(_) | Ftype::Int(_) | Ftype::FrameNum
        )
    }

    /// Compared as a byte sequence (`contains`, slices).
    pub fn is_bytes_like(self) -> bool {
        matches!(
            self,
            Ftype::Protocol | Ftype::Bytes | Ftype::String | Ftype::Ether
        )
    }
}

fn plural(bits: u8) -> &'static str {
    if bits == 8 {
        ""
    } else {
        "s"
    }
}

/// How an integer prints in `-T fields` (and JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// Not an integer, or decimal.
    Dec,
    /// `0x` and this many hex digits.
    Hex(u8),
}

/// One registered field or protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    pub name: &'static str,
    pub ftype: Ftype,
    pub base: Base,
    /// Wireshark's field label.
    pub desc: &'static str,
    /// Synthetic multi-valued fields (`ip.addr`): the fields whose values
    /// this one has, in order.
    pub alias_of: &'static [&'static str],
}

impl FieldDef {
    /// The protocol the field belongs to (`tcp` for `tcp.port`).
    pub fn parent(&self) -> &'static str {
        match self.name.split_once('.') {
            Some((p, _)) if self.ftype != Ftype::Protocol => p,
            _ => "",
        }
    }
}

/// Index of a field in [`FIELDS`].
pub type FieldId = usize;

const fn f(name: &'static str, ftype: Ftype, desc: &'static str) -> FieldDef {
    FieldDef {
        name,
        ftype,
        base: Base::Dec,
        desc,
        alias_of: &[],
    }
}

const fn hex(name: &'static str, ftype: Ftype, digits: u8, desc: &'static str) -> FieldDef {
    FieldDef {
        name,
        ftype,
        base: Base::Hex(digits),
        desc,
        alias_of: &[],
    }
}

const fn proto(name: &'static str, desc: &'static str) -> FieldDef {
    f(name, Ftype::Protocol, desc)
}

const fn alias(
    name: &'static str,
    ftype: Ftype,
    desc: &'static str,
    of: &'static [&'static str],
) -> FieldDef {
    FieldDef {
        name,
        ftype,
        base: Base::Dec,
        desc,
        alias_of: of,
    }
}

const STR: Ftype = Ftype::String;
const LABEL: Ftype = Ftype::None;
const U8: Ftype = Ftype::UInt(8);
const U16: Ftype = Ftype::UInt(16);
const U24: Ftype = Ftype::UInt(24);
const U32: Ftype = Ftype::UInt(32);

/// Every field, grouped by protocol, each protocol first.
pub static FIELDS: &[FieldDef] = &[
    proto("frame", "Frame"),
    f("frame.section_number", U32, "Section number"),
    f("frame.interface_id", U32, "Interface id"),
    f("frame.interface_name", STR, "Interface name"),
    f("frame.interface_description", STR, "Interface description"),
    f("frame.encap_type", Ftype::Int(16), "Encapsulation type"),
    f("frame.time", Ftype::AbsTime, "Arrival Time"),
    f(
        "frame.offset_shift",
        Ftype::RelTime,
        "Time shift for this packet",
    ),
    f("frame.time_epoch", Ftype::RelTime, "Epoch Time"),
    f(
        "frame.time_delta",
        Ftype::RelTime,
        "Time delta from previous captured frame",
    ),
    f(
        "frame.time_relative",
        Ftype::RelTime,
        "Time since reference or first frame",
    ),
    f("frame.number", U32, "Frame Number"),
    f("frame.len", U32, "Frame length on the wire"),
    f(
        "frame.cap_len",
        U32,
        "Frame length stored into the capture file",
    ),
    f("frame.protocols", STR, "Protocols in frame"),
    proto("eth", "Ethernet"),
    f("eth.dst", Ftype::Ether, "Destination"),
    f("eth.src", Ftype::Ether, "Source"),
    alias("eth.addr", Ftype::Ether, "Address", &["eth.dst", "eth.src"]),
    hex("eth.type", U16, 4, "Type"),
    proto("vlan", "802.1Q Virtual LAN"),
    f("vlan.priority", U16, "Priority"),
    f("vlan.dei", Ftype::Boolean, "DEI"),
    f("vlan.id", U16, "ID"),
    hex("vlan.etype", U16, 4, "Type"),
    proto("null", "Null/Loopback"),
    f("null.family", U32, "Family"),
    proto("sll", "Linux cooked-mode capture"),
    f("sll.pkttype", U16, "Packet type"),
    f("sll.hatype", U16, "Link-layer address type"),
    f("sll.halen", U16, "Link-layer address length"),
    f("sll.src.eth", Ftype::Bytes, "Source"),
    hex("sll.etype", U16, 4, "Protocol"),
    f("sll.ifindex", U32, "Interface index"),
    proto("raw", "Raw packet data"),
    proto("ip", "Internet Protocol Version 4"),
    f("ip.version", U8, "Version"),
    f("ip.hdr_len", U8, "Header Length"),
    hex("ip.dsfield", U8, 2, "Differentiated Services Field"),
    f("ip.len", U16, "Total Length"),
    hex("ip.id", U16, 4, "Identification"),
    hex("ip.flags", U8, 2, "Flags"),
    f("ip.flags.rb", Ftype::Boolean, "Reserved bit"),
    f("ip.flags.df", Ftype::Boolean, "Don't fragment"),
    f("ip.flags.mf", Ftype::Boolean, "More fragments"),
    f("ip.frag_offset", U16, "Fragment Offset"),
    f("ip.ttl", U8, "Time to Live"),
    f("ip.proto", U8, "Protocol"),
    hex("ip.checksum", U16, 4, "Header Checksum"),
    f("ip.src", Ftype::Ipv4, "Source Address"),
    f("ip.dst", Ftype::Ipv4, "Destination Address"),
    alias(
        "ip.addr",
        Ftype::Ipv4,
        "Source or Destination Address",
        &["ip.src", "ip.dst"],
    ),
    proto("ipv6", "Internet Protocol Version 6"),
    f("ipv6.version", U8, "Version"),
    hex("ipv6.tclass", U32, 8, "Traffic Class"),
    hex("ipv6.flow", U24, 6, "Flow Label"),
    f("ipv6.plen", U16, "Payload Length"),
    f("ipv6.nxt", U8, "Next Header"),
    f("ipv6.hlim", U8, "Hop Limit"),
    f("ipv6.src", Ftype::Ipv6, "Source Address"),
    f("ipv6.dst", Ftype::Ipv6, "Destination Address"),
    alias(
        "ipv6.addr",
        Ftype::Ipv6,
        "Source or Destination Address",
        &["ipv6.src", "ipv6.dst"],
    ),
    f("ipv6.opt.nxt", U8, "Next Header"),
    proto("tcp", "Transmission Control Protocol"),
    f("tcp.srcport", U16, "Source Port"),
    f("tcp.dstport", U16, "Destination Port"),
    f("tcp.port", U16, "Source or Destination Port"),
    f("tcp.stream", U32, "Stream index"),
    f("tcp.completeness", U8, "Conversation completeness"),
    f("tcp.len", U32, "TCP Segment Len"),
    f("tcp.seq", U32, "Sequence Number"),
    f("tcp.seq_raw", U32, "Sequence Number (raw)"),
    f("tcp.nxtseq", U32, "Next Sequence Number"),
    f("tcp.ack", U32, "Acknowledgment Number"),
    f("tcp.ack_raw", U32, "Acknowledgment number (raw)"),
    f("tcp.hdr_len", U8, "Header Length"),
    hex("tcp.flags", U16, 4, "Flags"),
    f("tcp.flags.ae", Ftype::Boolean, "Accurate ECN"),
    f("tcp.flags.cwr", Ftype::Boolean, "Congestion Window Reduced"),
    f("tcp.flags.ece", Ftype::Boolean, "ECN-Echo"),
    f("tcp.flags.urg", Ftype::Boolean, "Urgent"),
    f("tcp.flags.ack", Ftype::Boolean, "Acknowledgment"),
    f("tcp.flags.push", Ftype::Boolean, "Push"),
    f("tcp.flags.reset", Ftype::Boolean, "Reset"),
    f("tcp.flags.syn", Ftype::Boolean, "Syn"),
    f("tcp.flags.fin", Ftype::Boolean, "Fin"),
    f("tcp.flags.str", STR, "TCP Flags"),
    f("tcp.window_size_value", U16, "Window"),
    f("tcp.window_size", U32, "Calculated window size"),
    f(
        "tcp.window_size_scalefactor",
        Ftype::Int(32),
        "Window size scaling factor",
    ),
    hex("tcp.checksum", U16, 4, "Checksum"),
    f("tcp.urgent_pointer", U16, "Urgent Pointer"),
    f("tcp.option_kind", U8, "Kind"),
    f("tcp.option_len", U8, "Length"),
    f("tcp.options.mss_val", U16, "MSS Value"),
    f("tcp.options.wscale.shift", U8, "Shift count"),
    f("tcp.options.wscale.multiplier", U16, "Multiplier"),
    f("tcp.options.sack_perm", LABEL, "TCP SACK Permitted Option"),
    f("tcp.options.sack.count", U8, "TCP SACK Count"),
    f("tcp.options.timestamp.tsval", U32, "Timestamp value"),
    f("tcp.options.timestamp.tsecr", U32, "Timestamp echo reply"),
    f("tcp.analysis.flags", LABEL, "TCP Analysis Flags"),
    f(
        "tcp.analysis.reused_ports",
        LABEL,
        "A new tcp session is started with the same ports as an earlier session in this trace",
    ),
    f(
        "tcp.analysis.retransmission",
        LABEL,
        "This frame is a (suspected) retransmission",
    ),
    f(
        "tcp.analysis.fast_retransmission",
        LABEL,
        "This frame is a (suspected) fast retransmission",
    ),
    f(
        "tcp.analysis.spurious_retransmission",
        LABEL,
        "This frame is a (suspected) spurious retransmission",
    ),
    f(
        "tcp.analysis.out_of_order",
        LABEL,
        "This frame is a (suspected) out-of-order segment",
    ),
    f(
        "tcp.analysis.lost_segment",
        LABEL,
        "Previous segment(s) not captured (common at capture start)",
    ),
    f(
        "tcp.analysis.ack_lost_segment",
        LABEL,
        "ACKed segment that wasn't captured (common at capture start)",
    ),
    f("tcp.analysis.window_update", LABEL, "TCP window update"),
    f(
        "tcp.analysis.window_full",
        LABEL,
        "TCP window specified by the receiver is now completely full",
    ),
    f("tcp.analysis.keep_alive", LABEL, "TCP keep-alive segment"),
    f(
        "tcp.analysis.keep_alive_ack",
        LABEL,
        "ACK to a TCP keep-alive segment",
    ),
    f("tcp.analysis.duplicate_ack", LABEL, "Duplicate ACK"),
    f("tcp.analysis.duplicate_ack_num", U32, "Duplicate ACK #"),
    f(
        "tcp.analysis.duplicate_ack_frame",
        Ftype::FrameNum,
        "Duplicate to the ACK in frame",
    ),
    f(
        "tcp.analysis.zero_window_probe",
        LABEL,
        "TCP Zero Window Probe",
    ),
    f("tcp.analysis.zero_window", LABEL, "TCP Zero Window segment"),
    f(
        "tcp.analysis.zero_window_probe_ack",
        LABEL,
        "ACK to a TCP Zero Window Probe",
    ),
    f(
        "tcp.time_relative",
        Ftype::RelTime,
        "Time since first frame in this TCP stream",
    ),
    f(
        "tcp.time_delta",
        Ftype::RelTime,
        "Time since previous frame in this TCP stream",
    ),
    f("tcp.payload", Ftype::Bytes, "TCP payload"),
    f("tcp.segment_data", Ftype::Bytes, "TCP segment data"),
    // A block of its own in tshark's JSON (`"tcp.segments": {...}`), so a
    // layer here; FT_NONE in Wireshark.
    proto("tcp.segments", "Reassembled TCP Segments"),
    f("tcp.segment", Ftype::FrameNum, "TCP Segment"),
    f("tcp.segment.count", U32, "Segment count"),
    f("tcp.reassembled.length", U32, "Reassembled TCP length"),
    proto("udp", "User Datagram Protocol"),
    f("udp.srcport", U16, "Source Port"),
    f("udp.dstport", U16, "Destination Port"),
    f("udp.port", U16, "Source or Destination Port"),
    f("udp.length", U16, "Length"),
    hex("udp.checksum", U16, 4, "Checksum"),
    proto("icmp", "Internet Control Message Protocol"),
    f("icmp.type", U8, "Type"),
    f("icmp.code", U8, "Code"),
    proto("icmpv6", "Internet Control Message Protocol v6"),
    f("icmpv6.type", U8, "Type"),
    f("icmpv6.code", U8, "Code"),
    proto("data", "Data"),
    f("data.data", Ftype::Bytes, "Data"),
    f("data.len", Ftype::Int(32), "Length"),
    // HTTP (issue 4; Wireshark's names and types).
    proto("http", "Hypertext Transfer Protocol"),
    f("http.request", Ftype::Boolean, "Request"),
    f("http.response", Ftype::Boolean, "Response"),
    f("http.request.method", STR, "Request Method"),
    f("http.request.uri", STR, "Request URI"),
    f("http.request.uri.path", STR, "Request URI Path"),
    f("http.request.uri.query", STR, "Request URI Query"),
    f(
        "http.request.uri.query.parameter",
        STR,
        "Request URI Query Parameter",
    ),
    f("http.request.line", STR, "Request line"),
    f("http.response.line", STR, "Response line"),
    f("http.request.full_uri", STR, "Full request URI"),
    f("http.request_number", U32, "Request number"),
    f("http.response_number", U32, "Response number"),
    f("http.request.version", STR, "Request Version"),
    f("http.response.version", STR, "Response Version"),
    f("http.response.code", U16, "Status Code"),
    f("http.response.code.desc", STR, "Status Code Description"),
    f("http.response_for.uri", STR, "Request URI"),
    f("http.response.phrase", STR, "Response Phrase"),
    f("http.host", STR, "Host"),
    f("http.user_agent", STR, "User-Agent"),
    f("http.content_type", STR, "Content-Type"),
    f("http.content_length_header", STR, "Content-Length"),
    f("http.content_length", Ftype::UInt(64), "Content length"),
    f("http.content_encoding", STR, "Content-Encoding"),
    f("http.transfer_encoding", STR, "Transfer-Encoding"),
    f("http.upgrade", STR, "Upgrade"),
    f("http.accept", STR, "Accept"),
    f("http.accept_language", STR, "Accept-Language"),
    f("http.accept_encoding", STR, "Accept Encoding"),
    f("http.referer", STR, "Referer"),
    f("http.authorization", STR, "Authorization"),
    f("http.www_authenticate", STR, "WWW-Authenticate"),
    f("http.x_forwarded_for", STR, "X-Forwarded-For"),
    f("http.date", STR, "Date"),
    f("http.server", STR, "Server"),
    f("http.last_modified", STR, "Last-Modified"),
    f("http.cache_control", STR, "Cache-Control"),
    f("http.cookie_pair", STR, "Cookie pair"),
    f("http.location", STR, "Location"),
    f("http.cookie", STR, "Cookie"),
    f("http.set_cookie", STR, "Set-Cookie"),
    f("http.connection", STR, "Connection"),
    f("http.request_in", Ftype::FrameNum, "Request in frame"),
    f("http.response_in", Ftype::FrameNum, "Response in frame"),
    f(
        "http.prev_request_in",
        Ftype::FrameNum,
        "Prev request in frame",
    ),
    f(
        "http.prev_response_in",
        Ftype::FrameNum,
        "Prev response in frame",
    ),
    f("http.time", Ftype::RelTime, "Time since request"),
    f("http.file_data", STR, "File Data"),
    // HTCPCP (issue 4; our names, in Wireshark's style).
    proto("htcpcp", "Hyper Text Coffee Pot Control Protocol"),
    f("htcpcp.request", Ftype::Boolean, "Request"),
    f("htcpcp.response", Ftype::Boolean, "Response"),
    f("htcpcp.request.method", STR, "Request Method"),
    f("htcpcp.request.uri", STR, "Request URI"),
    f("htcpcp.request.scheme", STR, "URI scheme"),
    f("htcpcp.request.pot", STR, "Pot"),
    f("htcpcp.request.version", STR, "Request Version"),
    f("htcpcp.response.version", STR, "Response Version"),
    f("htcpcp.response.code", U16, "Status Code"),
    f("htcpcp.response.phrase", STR, "Response Phrase"),
    f("htcpcp.accept_additions", STR, "Accept-Additions"),
    f("htcpcp.addition", STR, "Addition"),
    f(
        "htcpcp.addition.accepted",
        Ftype::Boolean,
        "Addition in the lab's list",
    ),
    f("htcpcp.use_pot", STR, "Use-Pot"),
    f("htcpcp.content_type", STR, "Content-Type"),
    f("htcpcp.request_in", Ftype::FrameNum, "Request in frame"),
    f("htcpcp.response_in", Ftype::FrameNum, "Response in frame"),
    f("htcpcp.request_number", U32, "Request number"),
    f("htcpcp.response_number", U32, "Response number"),
    f(
        "htcpcp.prev_request_in",
        Ftype::FrameNum,
        "Prev request in frame",
    ),
    f(
        "htcpcp.prev_response_in",
        Ftype::FrameNum,
        "Prev response in frame",
    ),
    f("htcpcp.time", Ftype::RelTime, "Time since request"),
    f("htcpcp.body", STR, "Body"),
    // TLS (issue 4; Wireshark's names and types).
    proto("tls", "Transport Layer Security"),
    f("tls.record", LABEL, "Record Layer"),
    f("tls.record.content_type", U8, "Content Type"),
    f("tls.record.opaque_type", U8, "Opaque Type"),
    hex("tls.record.version", U16, 4, "Version"),
    f("tls.record.length", U16, "Length"),
    f("tls.handshake", LABEL, "Handshake Protocol"),
    f("tls.handshake.type", U8, "Handshake Message Type"),
    f("tls.handshake.length", U24, "Length"),
    hex("tls.handshake.version", U16, 4, "Version"),
    f("tls.handshake.ciphersuites", LABEL, "Cipher Suites"),
    hex(
        "tls.handshake.extensions.supported_version",
        U16,
        4,
        "Supported Version",
    ),
    f("tls.handshake.extensions_server_name", STR, "Server Name"),
    f(
        "tls.handshake.extensions_alpn_str",
        STR,
        "ALPN Next Protocol",
    ),
    hex("tls.handshake.ciphersuite", U16, 4, "Cipher Suite"),
    f("tls.app_data", Ftype::Bytes, "Encrypted Application Data"),
    f("tls.app_data_proto", STR, "Application Data Protocol"),
    f(
        "tls.change_cipher_spec",
        LABEL,
        "Change Cipher Spec Message",
    ),
    f("tls.alert_message", LABEL, "Alert Message"),
    f("tls.alert_message.level", U8, "Level"),
    f("tls.alert_message.desc", U8, "Description"),
    proto("_ws.malformed", "Malformed Packet"),
    // The packet list's columns, for `-T fields -e _ws.col.Info` (tshark
    // 4.0 accepts them in -e, not in display filters).
    // WebSocket (RFC 6455), tshark 4.0's names and types.
    proto("websocket", "WebSocket"),
    f("websocket.fin", Ftype::Boolean, "Fin"),
    hex("websocket.rsv", U8, 2, "Reserved"),
    f("websocket.opcode", U8, "Opcode"),
    f("websocket.mask", Ftype::Boolean, "Mask"),
    f("websocket.payload_length", U8, "Payload length"),
    f(
        "websocket.payload_length_ext_16",
        U16,
        "Extended Payload length (16 bits)",
    ),
    f(
        "websocket.payload_length_ext_64",
        Ftype::UInt(64),
        "Extended Payload length (64 bits)",
    ),
    f("websocket.masking_key", Ftype::Bytes, "Masking-Key"),
    f("websocket.masked_payload", LABEL, "Masked payload"),
    f("websocket.payload", LABEL, "Payload"),
    f("websocket.payload.text", STR, "Text"),
    f("websocket.payload.ping", Ftype::Bytes, "Ping"),
    f("websocket.payload.pong", Ftype::Bytes, "Pong"),
    f("websocket.payload.unknown", Ftype::Bytes, "Unknown"),
    f("websocket.payload.close", LABEL, "Close"),
    f("websocket.payload.close.status_code", U16, "Status code"),
    f("websocket.payload.close.reason", STR, "Reason"),
    f(
        "websocket.fragments",
        LABEL,
        "Reassembled websocket Fragments",
    ),
    f("websocket.fragment", Ftype::FrameNum, "Websocket Fragment"),
    f("websocket.fragment.count", U32, "Fragment count"),
    f(
        "websocket.reassembled.length",
        U32,
        "Reassembled websocket Payload length",
    ),
    proto("data-text-lines", "Line-based text data"),
    f("_ws.col.No.", STR, "No."),
    f("_ws.col.Time", STR, "Time"),
    f("_ws.col.Source", STR, "Source"),
    f("_ws.col.Destination", STR, "Destination"),
    f("_ws.col.Protocol", STR, "Protocol"),
    f("_ws.col.Length", STR, "Length"),
    f("_ws.col.Info", STR, "Info"),
];

/// Looks a name up (exact, case-sensitive as in Wireshark).
pub fn lookup(name: &str) -> Option<FieldId> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static INDEX: OnceLock<HashMap<&'static str, FieldId>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            FIELDS
                .iter()
                .enumerate()
                .map(|(i, d)| (d.name, i))
                .collect()
        })
        .get(name)
        .copied()
}

/// The definition of a registered field.
pub fn def(id: FieldId) -> &'static FieldDef {
    &FIELDS[id]
}

/// `tshark -G fields`'s layout: `P\tdesc\tname` for protocols,
/// `F\tdesc\tname\tFT_TYPE\tparent\tBASE\t0x0\t` for fields.
pub fn write_listing(out: &mut std::string::String) {
    use std::fmt::Write;
    for d in FIELDS {
        if d.ftype == Ftype::Protocol {
            let _ = writeln!(out, "P\t{}\t{}", d.desc, d.name);
            continue;
        }
        let base = match (d.ftype, d.base) {
            (_, Base::Hex(_)) => "BASE_HEX",
            (Ftype::Boolean, _) => "0",
            (t, _) if t.is_integer() && t != Ftype::FrameNum => "BASE_DEC",
            _ => "",
        };
        let _ = writeln!(
            out,
            "F\t{}\t{}\t{}\t{}\t{}\t0x0\t",
            d.desc,
            d.name,
            d.ftype.ft_name(),
            d.parent(),
            base
        );
    }
}
