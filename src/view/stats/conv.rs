//! `-z conv,TYPE` and `-z endpoints,TYPE` (ui/cli/tap-iousers.c and
//! tap-endpoints.c, tshark 4.0, relative times). Addresses are never
//! resolved: tshark's output with `-n`; without it tshark writes Ethernet
//! addresses with the manufacturer's name (`00:00:00_00:00:00`).

use super::nstime_to_sec;
use crate::model::stats::conv::{by_frames, Conversations, Endpoints, Socket};
use crate::view::conv::format_size;
use std::fmt::Write;

const RULE: &str =
    "================================================================================\n";

fn socket_text(s: &Socket, ports: bool) -> String {
    if ports {
        format!("{}:{}", s.0, s.1)
    } else {
        s.0.to_string()
    }
}

/// The head of a conversation table (`conv,tcp`'s too).
pub fn conv_header(out: &mut String, title: &str, ports: bool, filter: Option<&str>) {
    let pad = if ports { "            " } else { "" };
    out.push_str(RULE);
    let _ = writeln!(out, "{title} Conversations");
    let _ = writeln!(out, "Filter:{}", filter.unwrap_or("<No Filter>"));
    let _ = writeln!(out, "{pad}                                               |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |");
    let _ = writeln!(out, "{pad}                                               | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |");
}

/// `-z conv,eth|ip|ipv6|udp`.
pub fn conversations(out: &mut String, t: &Conversations, filter: Option<&str>) {
    let ports = t.layer.has_ports();
    conv_header(out, t.layer.title(), ports, filter);
    let w = if ports { 26 } else { 20 };
    for r in by_frames(&t.rows, |r| r.frames()) {
        let _ = write!(
            out,
            "{:<w$} <-> {:<w$}  {:>6} {:<9}  {:>6} {:<9}  {:>6} {:<9}  ",
            socket_text(&r.a, ports),
            socket_text(&r.b, ports),
            r.ba.frames,
            format_size(r.ba.bytes),
            r.ab.frames,
            format_size(r.ab.bytes),
            r.frames(),
            format_size(r.ab.bytes.wrapping_add(r.ba.bytes)),
        );
        let _ = writeln!(
            out,
            "{:14.9}   {:12.4}",
            nstime_to_sec(r.start),
            nstime_to_sec(r.stop) - nstime_to_sec(r.start)
        );
    }
    out.push_str(RULE);
}

/// `-z endpoints,eth|ip|ipv6|tcp|udp`.
pub fn endpoints(out: &mut String, t: &Endpoints, filter: Option<&str>) {
    let ports = t.layer.has_ports();
    out.push_str(RULE);
    let _ = writeln!(out, "{} Endpoints", t.layer.title());
    let _ = writeln!(out, "Filter:{}", filter.unwrap_or("<No Filter>"));
    let _ = writeln!(
        out,
        "                       |  {}Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |",
        if ports { "Port  ||  " } else { "" }
    );
    for r in by_frames(&t.rows, |r| r.frames()) {
        let _ = write!(out, "{:<20}      ", r.socket.0.to_string());
        if ports {
            let _ = write!(out, "{:>5}     ", r.socket.1);
        }
        let _ = writeln!(
            out,
            "{:>6}     {:>9}     {:>6}       {:>9}      {:>6}       {:>9}   ",
            r.frames(),
            r.tx.bytes.wrapping_add(r.rx.bytes),
            r.tx.frames,
            r.tx.bytes,
            r.rx.frames,
            r.rx.bytes
        );
    }
    out.push_str(RULE);
}
