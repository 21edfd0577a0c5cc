//! Row colours: Wireshark's default colouring rules (`colorfilters` as
//! Wireshark 4.0 ships it), the first that matches wins, plus one rule of
//! ours for HTCPCP placed before HTTP. Each frame's rule is decided once, in
//! the index pass, from the facts the packet already has (no filter run per
//! frame); [`Theme`] turns it into terminal colours.
//!
//! | rule | Wireshark's filter |
//! |---|---|
//! | Bad TCP | `tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack` |
//! | ICMP errors | `icmp.type in {3..5 11} \|\| icmpv6.type in {1..4}` |
//! | ICMP | `icmp \|\| icmpv6` |
//! | TCP RST | `tcp.flags.reset eq 1` |
//! | TTL low | `ip.dst != 224.0.0.0/4 && ip.ttl < 5` |
//! | HTCPCP (ours) | `htcpcp` |
//! | HTTP | `http \|\| tcp.port == 80 \|\| http2` |
//! | TCP SYN/FIN | `tcp.flags & 0x02 \|\| tcp.flags.fin == 1` |
//! | TCP | `tcp` |
//! | UDP | `udp` |
//! | Broadcast | `eth[0] & 1` |

use crate::flow::analysis::flag;
use crate::link::LinkHeader;
use crate::model::Packet;
use etherparse::{LaxNetSlice, TransportSlice};
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Rule {
    #[default]
    None = 0,
    BadTcp,
    IcmpError,
    Icmp,
    TcpRst,
    TtlLow,
    Htcpcp,
    Http,
    SynFin,
    Tcp,
    Udp,
    Broadcast,
}

impl Rule {
    pub fn from_u8(v: u8) -> Rule {
        use Rule::*;
        [
            None, BadTcp, IcmpError, Icmp, TcpRst, TtlLow, Htcpcp, Http, SynFin, Tcp, Udp,
            Broadcast,
        ]
        .get(v as usize)
        .copied()
        .unwrap_or(None)
    }

    /// The rule of a packet; `protocol` is its Protocol column.
    pub fn of(pkt: &Packet<'_>, protocol: &str) -> Rule {
        let d = &pkt.decoded;
        if let Some(meta) = &pkt.tcp {
            let f = meta.analysis.flags;
            let benign = flag::WINDOW_UPDATE | flag::KEEP_ALIVE | flag::KEEP_ALIVE_ACK;
            if f != 0 && f & benign == 0 {
                return Rule::BadTcp;
            }
        }
        match &d.transport {
            Some(TransportSlice::Icmpv4(i)) => {
                return if matches!(i.type_u8(), 3..=5 | 11) {
                    Rule::IcmpError
                } else {
                    Rule::Icmp
                };
            }
            Some(TransportSlice::Icmpv6(i)) => {
                return if matches!(i.type_u8(), 1..=4) {
                    Rule::IcmpError
                } else {
                    Rule::Icmp
                };
            }
            _ => {}
        }
        let tcp = match &d.transport {
            Some(TransportSlice::Tcp(t)) => Some(t),
            _ => None,
        };
        if tcp.is_some_and(|t| t.rst()) {
            return Rule::TcpRst;
        }
        if let Some(LaxNetSlice::Ipv4(v4)) = &d.net {
            let h = v4.header();
            if h.destination()[0] & 0xf0 != 0xe0 && h.ttl() < 5 {
                return Rule::TtlLow;
            }
        }
        if protocol.starts_with("HTCPCP") {
            return Rule::Htcpcp;
        }
        let port80 = tcp.is_some_and(|t| t.source_port() == 80 || t.destination_port() == 80);
        if protocol.starts_with("HTTP") || port80 {
            return Rule::Http;
        }
        if let Some(t) = tcp {
            return if t.syn() || t.fin() {
                Rule::SynFin
            } else {
                Rule::Tcp
            };
        }
        if matches!(d.transport, Some(TransportSlice::Udp(_))) {
            return Rule::Udp;
        }
        if let LinkHeader::Ethernet { dst, .. } = d.link.header {
            if dst[0] & 1 == 1 {
                return Rule::Broadcast;
            }
        }
        Rule::None
    }
}

/// Dark (the default) or light background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeKind {
    Dark,
    Light,
}

/// Colours of the screen; `NO_COLOR` gives the plain one (attributes only).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub kind: ThemeKind,
    pub color: bool,
}

impl Theme {
    pub fn new(kind: ThemeKind) -> Self {
        // https://no-color.org: any non-empty value turns colour off.
        let color = std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty());
        Theme { kind, color }
    }

    pub fn plain() -> Self {
        Theme {
            kind: ThemeKind::Dark,
            color: false,
        }
    }

    /// A list row's colours: Wireshark's (foreground, background) pairs.
    pub fn row(&self, rule: Rule) -> Style {
        if !self.color {
            return Style::default();
        }
        let rgb = |x: u32| Color::Rgb((x >> 16) as u8, (x >> 8) as u8, x as u8);
        let (fg, bg) = match rule {
            Rule::BadTcp => (0xff5f5f, 0x121212),
            Rule::IcmpError => (0xb7f774, 0x121212),
            Rule::Icmp => (0x12272e, 0xfce0ff),
            Rule::TcpRst => (0xfffc9c, 0xa40000),
            Rule::TtlLow => (0xfffc9c, 0xa40000),
            Rule::Htcpcp => (0x2b1b0e, 0xe8c9a0),
            Rule::Http => (0x12272e, 0xe4ffc7),
            Rule::SynFin => (0x12272e, 0xa0a0a0),
            Rule::Tcp => (0x12272e, 0xe7e6ff),
            Rule::Udp => (0x12272e, 0xdaeeff),
            Rule::Broadcast => (0xbabdb6, 0xffffff),
            Rule::None => return self.text(),
        };
        Style::default().fg(rgb(fg)).bg(rgb(bg))
    }

    /// Ordinary text.
    pub fn text(&self) -> Style {
        if !self.color {
            return Style::default();
        }
        match self.kind {
            ThemeKind::Dark => Style::default().fg(Color::Gray).bg(Color::Black),
            ThemeKind::Light => Style::default().fg(Color::Black).bg(Color::White),
        }
    }

    /// The selected row or field.
    pub fn selected(&self, focused: bool) -> Style {
        let s = Style::default().add_modifier(Modifier::REVERSED);
        if focused {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    /// Titles, the header row, the status line.
    pub fn title(&self) -> Style {
        let s = Style::default().add_modifier(Modifier::BOLD);
        if !self.color {
            return s;
        }
        match self.kind {
            ThemeKind::Dark => s.fg(Color::White).bg(Color::DarkGray),
            ThemeKind::Light => s.fg(Color::Black).bg(Color::Gray),
        }
    }

    /// The bytes of the selected field in the hex pane.
    pub fn highlight(&self) -> Style {
        if !self.color {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
        Style::default().fg(Color::Black).bg(Color::Yellow)
    }

    /// A filter bar's verdict: valid, invalid, odd.
    pub fn verdict(&self, v: Verdict) -> Style {
        if !self.color {
            return match v {
                Verdict::Invalid => Style::default().add_modifier(Modifier::UNDERLINED),
                _ => Style::default(),
            };
        }
        let black = Style::default().fg(Color::Black);
        match v {
            Verdict::Empty => self.text(),
            Verdict::Valid => black.bg(Color::Rgb(0xaf, 0xff, 0xaf)),
            Verdict::Invalid => black.bg(Color::Rgb(0xff, 0xaf, 0xaf)),
            Verdict::Odd => black.bg(Color::Rgb(0xff, 0xff, 0xaf)),
        }
    }

    /// Client and server text in the follow view.
    pub fn direction(&self, server: bool) -> Style {
        if !self.color {
            return if server {
                Style::default().add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
        }
        if server {
            Style::default()
                .fg(Color::Rgb(0x00, 0x00, 0x80))
                .bg(Color::Rgb(0xed, 0xed, 0xfb))
        } else {
            Style::default()
                .fg(Color::Rgb(0x80, 0x00, 0x00))
                .bg(Color::Rgb(0xfb, 0xed, 0xed))
        }
    }
}

/// What the filter bar says about its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Empty,
    Valid,
    Invalid,
    /// Valid but probably not what was meant (Wireshark's yellow): `!=` on
    /// a field that can have several values, a deprecated spelling.
    Odd,
}
