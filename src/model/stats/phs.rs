//! `-z io,phs`: tshark's protocol hierarchy (ui/cli/tap-protohierstat.c,
//! 4.0). tshark walks the top-level items of each frame's tree (after
//! `frame`) and counts the frame, and its length, at every level of that
//! path: `eth > ip > tcp > http > data-text-lines`.
//!
//! [`path`] names those items from the [`Packet`] without building the
//! field tree: the link, network and transport layers, then per message
//! the application layer and the protocol of its body, then
//! `tcp.segments` when the message was reassembled from several segments.
//! tshark adds that item after the message's own layers; only a visible
//! tree (`-V`) moves it behind TCP, and `-z` builds an invisible one.
//!
//! HTCPCP frames are `htcpcp` here; tshark has no HTCPCP dissector and
//! shows them as `http` (when a request says `HTTP/1.1`), as data on an
//! HTTP stream, or as plain TCP.

use crate::dissect::stream::PduBody;
use crate::dissect::websocket::opcode;
use crate::dissect::Protocol;
use crate::flow::analysis::flag;
use crate::link::LinkHeader;
use crate::model::Packet;
use etherparse::{LaxNetSlice, TransportSlice};

/// The protocol names of a frame's top-level tree items, `frame` left out.
pub fn path(pkt: &Packet<'_>, out: &mut Vec<&'static str>) {
    out.clear();
    let d = &pkt.decoded;
    match d.link.header {
        LinkHeader::Ethernet { vlans, .. } => {
            out.push("eth");
            for _ in vlans.iter().flatten() {
                out.push("vlan");
            }
        }
        LinkHeader::LinuxSll { .. } | LinkHeader::LinuxSll2 { .. } => out.push("sll"),
        LinkHeader::Null { .. } => out.push("null"),
        LinkHeader::Raw => out.push("raw"),
        LinkHeader::Unknown { .. } | LinkHeader::Truncated { .. } => {}
    }
    let link_end = d.link.header_len.min(d.data.len());
    match &d.net {
        Some(LaxNetSlice::Ipv4(_)) => out.push("ip"),
        Some(LaxNetSlice::Ipv6(_)) => out.push("ipv6"),
        Some(LaxNetSlice::Arp(_)) => out.push("arp"),
        None => {
            if d.data.len() > link_end {
                out.push("data");
            }
        }
    }
    match &d.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            out.push("tcp");
            let app = pkt
                .app
                .as_deref()
                .filter(|a| a.pdu_continues || !a.messages.is_empty());
            if let Some(app) = app {
                app_path(app, out);
            } else {
                // tshark hands no dissector the bytes of a retransmission
                // (spurious or not) or of an out-of-order segment; a fast
                // retransmission's are data.
                let retransmitted = pkt.tcp.is_some_and(|m| {
                    m.analysis.flags
                        & (flag::RETRANSMISSION
                            | flag::SPURIOUS_RETRANSMISSION
                            | flag::OUT_OF_ORDER)
                        != 0
                });
                if !tcp.payload().is_empty() && !retransmitted {
                    out.push("data");
                }
            }
        }
        Some(TransportSlice::Udp(udp)) => {
            out.push("udp");
            if !udp.payload().is_empty() {
                out.push("data");
            }
        }
        Some(TransportSlice::Icmpv4(_)) => out.push("icmp"),
        Some(TransportSlice::Icmpv6(_)) => out.push("icmpv6"),
        _ => {}
    }
}

/// The application layer's items, message by message.
///
/// With a key log, the protocol inside TLS comes after `tls`, a message
/// decrypted from several records is followed by `tls.segments`, and the
/// `tcp.segments` of records reassembled from several segments come last
/// (TCP adds them once everything above it is dissected).
fn app_path(app: &crate::dissect::stream::AppFrame, out: &mut Vec<&'static str>) {
    let decrypted = app
        .messages
        .iter()
        .any(|m| matches!(&m.body, PduBody::Http(h) if h.decrypted));
    let mut tls = false;
    let mut tcp_segments_last = false;
    for pdu in &app.messages {
        let several = pdu.segments.len() > 1;
        match &pdu.body {
            PduBody::Http(h) => {
                if h.decrypted && !tls {
                    out.push("tls");
                    tls = true;
                }
                if h.protocol == Protocol::Htcpcp {
                    out.push("htcpcp");
                } else {
                    out.push("http");
                    if let Some(p) = crate::model::app_tree::media_protocol(&h.message) {
                        out.push(p);
                    }
                }
                if h.decrypted {
                    // Decrypted from several records: TLS reassembled it.
                    let r = &h.message.range;
                    let one_record = app.messages.iter().any(|p| {
                        matches!(&p.body, PduBody::Tls(rec)
                            if rec.range.start <= r.start && r.end <= rec.range.end)
                    });
                    if !one_record {
                        out.push("tls.segments");
                    }
                } else if several {
                    out.push("tcp.segments");
                }
            }
            PduBody::Tls(_) => {
                if !tls {
                    out.push("tls");
                    tls = true;
                }
                if several {
                    if decrypted {
                        tcp_segments_last = true;
                    } else {
                        out.push("tcp.segments");
                    }
                }
            }
            PduBody::WebSocket(w) => {
                out.push("websocket");
                if w.message.is_some() {
                    out.push("websocket.fragments");
                } else if !w.fin && w.opcode == opcode::CONTINUATION {
                    out.push("websocket.payload.continue");
                }
                if w.fin && !w.is_control() {
                    match w.message_opcode() {
                        opcode::TEXT => out.push("data-text-lines"),
                        opcode::BINARY if !w.data().is_empty() => out.push("data"),
                        _ => {}
                    }
                }
                if several {
                    out.push("tcp.segments");
                }
            }
        }
    }
    if tcp_segments_last {
        out.push("tcp.segments");
    }
}

/// One level of the hierarchy.
#[derive(Debug, Clone)]
pub struct PhsNode {
    pub name: &'static str,
    pub frames: u32,
    pub bytes: u64,
    pub children: Vec<usize>,
}

/// The hierarchy: nodes in order of first appearance at each level.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    pub nodes: Vec<PhsNode>,
    pub top: Vec<usize>,
    scratch: Vec<&'static str>,
}

impl Hierarchy {
    pub fn add(&mut self, pkt: &Packet<'_>) {
        let mut names = std::mem::take(&mut self.scratch);
        path(pkt, &mut names);
        let len = u64::from(pkt.frame.orig_len);
        let mut parent: Option<usize> = None;
        for &name in &names {
            let level = match parent {
                None => &self.top,
                Some(p) => &self.nodes[p].children,
            };
            let id = match level.iter().copied().find(|&i| self.nodes[i].name == name) {
                Some(id) => id,
                None => {
                    let id = self.nodes.len();
                    self.nodes.push(PhsNode {
                        name,
                        frames: 0,
                        bytes: 0,
                        children: Vec::new(),
                    });
                    match parent {
                        None => self.top.push(id),
                        Some(p) => self.nodes[p].children.push(id),
                    }
                    id
                }
            };
            let n = &mut self.nodes[id];
            n.frames = n.frames.wrapping_add(1);
            n.bytes = n.bytes.wrapping_add(len);
            parent = Some(id);
        }
        self.scratch = names;
    }
}
