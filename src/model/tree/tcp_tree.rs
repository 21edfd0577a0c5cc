//! TCP's layer of the field tree (RFC 9293): header, options, flags, and
//! what the one pass found (`tcp.stream`, relative numbers, `tcp.analysis.*`,
//! `tcp.completeness`), with Wireshark's names and labels.

use super::*;
use crate::model::summary::write_flag_names;
use etherparse::TcpOptionElement;

pub(super) fn tcp_layer(pkt: &Packet<'_>, tcp: &etherparse::TcpSlice<'_>) -> Layer {
    let d = &pkt.decoded;
    let start = d.offset_of(tcp.header_slice());
    let hlen = tcp.header_len();
    let plen = tcp.payload().len();
    let meta = pkt.tcp.unwrap_or(crate::flow::TcpMeta {
        stream: 0,
        rel_seq: 0,
        rel_ack: None,
        window: tcp.window_size() as u32,
        window_multiplier: None,
        next_seq: 0,
        port_reused: false,
        base_seq: 0,
        rev_base_seq: 0,
        analysis: Default::default(),
        completeness: 0,
        completeness_after: 0,
        time_relative: 0,
        time_delta: 0,
        absolute: false,
    });
    // Relative numbers say so in their labels.
    let (rel_seq_note, rel_ack_note) = if meta.absolute {
        ("", "")
    } else {
        (
            "    (relative sequence number)",
            "    (relative ack number)",
        )
    };
    let flags = crate::flow::tcp_flags_u16(tcp);
    let mut flag_names = String::new();
    write_flag_names(&mut flag_names, flags);
    let bit = |name: &'static str, label: &str, mask: u16| {
        Field::new(
            name,
            Value::Bool(flags & mask != 0),
            format!("{label}: {}", set(flags & mask != 0)),
            start + 12,
            2,
        )
    };
    let mut fields = port_fields(
        PortNames::TCP,
        tcp.source_port(),
        tcp.destination_port(),
        start,
    );
    fields.extend([
        Field::new(
            "tcp.stream",
            Value::UInt(meta.stream as u64),
            format!("[Stream index: {}]", meta.stream),
            0,
            0,
        ),
        Field::new(
            "tcp.completeness",
            Value::UInt(meta.completeness as u64),
            format!(
                "[Conversation completeness: {}]",
                completeness_label(meta.completeness)
            ),
            0,
            0,
        ),
        Field::new(
            "tcp.len",
            Value::UInt(plen as u64),
            format!("[TCP Segment Len: {plen}]"),
            start + 12,
            1,
        ),
        Field::new(
            "tcp.seq",
            Value::UInt(meta.seq_shown() as u64),
            format!("Sequence Number: {}{rel_seq_note}", meta.seq_shown()),
            start + 4,
            4,
        ),
    ]);
    // With raw numbers shown, Wireshark keeps the `_raw` fields hidden.
    let mut seq_raw = uint(
        "tcp.seq_raw",
        "Sequence Number (raw)",
        tcp.sequence_number() as u64,
        start + 4,
        4,
    );
    seq_raw.hidden = meta.absolute;
    fields.push(seq_raw);
    fields.push(Field::new(
        "tcp.nxtseq",
        Value::UInt(meta.next_seq_shown() as u64),
        format!(
            "[Next Sequence Number: {}{rel_seq_note}]",
            meta.next_seq_shown()
        ),
        0,
        0,
    ));
    match meta.ack_shown() {
        Some(ack) => fields.push(Field::new(
            "tcp.ack",
            Value::UInt(ack as u64),
            format!("Acknowledgment Number: {ack}{rel_ack_note}"),
            start + 8,
            4,
        )),
        // Without the ACK flag Wireshark shows the raw value, unrelativised.
        None => fields.push(uint(
            "tcp.ack",
            "Acknowledgment Number",
            tcp.acknowledgment_number() as u64,
            start + 8,
            4,
        )),
    }
    let mut ack_raw = uint(
        "tcp.ack_raw",
        "Acknowledgment number (raw)",
        tcp.acknowledgment_number() as u64,
        start + 8,
        4,
    );
    ack_raw.hidden = meta.absolute;
    fields.push(ack_raw);
    fields.push(Field::new(
        "tcp.hdr_len",
        Value::UInt(hlen as u64),
        format!("Header Length: {hlen} bytes ({})", hlen / 4),
        start + 12,
        1,
    ));
    fields.push(
        Field::new(
            "tcp.flags",
            Value::Hex(flags as u64, 4),
            format!("Flags: 0x{flags:03x} ({flag_names})"),
            start + 12,
            2,
        )
        .with(vec![
            bit("tcp.flags.ae", "Accurate ECN", 0x100),
            bit("tcp.flags.cwr", "Congestion Window Reduced", 0x80),
            bit("tcp.flags.ece", "ECN-Echo", 0x40),
            bit("tcp.flags.urg", "Urgent", 0x20),
            bit("tcp.flags.ack", "Acknowledgment", 0x10),
            bit("tcp.flags.push", "Push", 0x08),
            bit("tcp.flags.reset", "Reset", 0x04),
            bit("tcp.flags.syn", "Syn", 0x02),
            bit("tcp.flags.fin", "Fin", 0x01),
            Field::new(
                "tcp.flags.str",
                Value::Str(flags_str(flags)),
                format!("[TCP Flags: {}]", flags_str(flags)),
                start + 12,
                2,
            ),
        ]),
    );
    fields.push(uint(
        "tcp.window_size_value",
        "Window",
        tcp.window_size() as u64,
        start + 14,
        2,
    ));
    fields.push(Field::new(
        "tcp.window_size",
        Value::UInt(meta.window as u64),
        format!("[Calculated window size: {}]", meta.window),
        start + 14,
        2,
    ));
    if let Some(m) = meta.window_multiplier {
        let note = match m {
            -1 => " (unknown)",
            -2 => " (no window scaling used)",
            _ => "",
        };
        fields.push(Field::new(
            "tcp.window_size_scalefactor",
            Value::Int(m.into()),
            format!("[Window size scaling factor: {m}{note}]"),
            0,
            0,
        ));
    }
    fields.push(Field::new(
        "tcp.checksum",
        Value::Hex(tcp.checksum() as u64, 4),
        format!("Checksum: 0x{:04x} [unverified]", tcp.checksum()),
        start + 16,
        2,
    ));
    fields.push(uint(
        "tcp.urgent_pointer",
        "Urgent Pointer",
        tcp.urgent_pointer() as u64,
        start + 18,
        2,
    ));
    if hlen > 20 {
        let mut opts = Vec::new();
        let mut names = String::new();
        let mut at = start + 20;
        for o in tcp.options_iterator() {
            // Each option's kind (and length, but for NOP), as Wireshark
            // shows them, then its own fields.
            let kind = |k: u64, name: &str| {
                Field::new(
                    "tcp.option_kind",
                    Value::UInt(k),
                    format!("Kind: {name} ({k})"),
                    at,
                    1,
                )
            };
            let length = |n: usize| uint("tcp.option_len", "Length", n as u64, at + 1, 1);
            let (label, len, children) = match o {
                Ok(TcpOptionElement::Noop) => (
                    "No-Operation (NOP)".to_string(),
                    1,
                    vec![kind(1, "No-Operation")],
                ),
                Ok(TcpOptionElement::MaximumSegmentSize(m)) => (
                    format!("Maximum segment size: {m} bytes"),
                    4,
                    vec![
                        kind(2, "Maximum Segment Size"),
                        length(4),
                        uint("tcp.options.mss_val", "MSS Value", m as u64, at + 2, 2),
                    ],
                ),
                Ok(TcpOptionElement::WindowScale(s)) => (
                    format!("Window scale: {s} (multiply by {})", 1u32 << s.min(14)),
                    3,
                    vec![
                        kind(3, "Window Scale"),
                        length(3),
                        uint(
                            "tcp.options.wscale.shift",
                            "Shift count",
                            s as u64,
                            at + 2,
                            1,
                        ),
                        Field::new(
                            "tcp.options.wscale.multiplier",
                            Value::UInt(1u64 << s.min(14)),
                            format!("[Multiplier: {}]", 1u64 << s.min(14)),
                            at + 2,
                            1,
                        ),
                    ],
                ),
                Ok(TcpOptionElement::SelectiveAcknowledgementPermitted) => (
                    "SACK permitted".to_string(),
                    2,
                    vec![kind(4, "SACK Permitted"), length(2)],
                ),
                Ok(TcpOptionElement::SelectiveAcknowledgement(first, rest)) => {
                    let blocks: Vec<(u32, u32)> = std::iter::once(first)
                        .chain(rest.into_iter().flatten())
                        .collect();
                    let len = 2 + 8 * blocks.len();
                    let text = blocks
                        .iter()
                        .map(|(l, r)| {
                            format!(
                                "{}-{}",
                                l.wrapping_sub(meta.sack_base()),
                                r.wrapping_sub(meta.sack_base())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    (
                        format!("SACK {text}"),
                        len,
                        vec![
                            kind(5, "SACK"),
                            length(len),
                            uint(
                                "tcp.options.sack.count",
                                "[TCP SACK Count]",
                                blocks.len() as u64,
                                at,
                                len,
                            ),
                        ],
                    )
                }
                Ok(TcpOptionElement::Timestamp(v, e)) => (
                    format!("Timestamps: TSval {v}, TSecr {e}"),
                    10,
                    vec![
                        kind(8, "Time Stamp Option"),
                        length(10),
                        uint(
                            "tcp.options.timestamp.tsval",
                            "Timestamp value",
                            v as u64,
                            at + 2,
                            4,
                        ),
                        uint(
                            "tcp.options.timestamp.tsecr",
                            "Timestamp echo reply",
                            e as u64,
                            at + 6,
                            4,
                        ),
                    ],
                ),
                Err(_) => {
                    opts.push(Field::text(
                        "[Malformed or unknown option: options not decoded further]".into(),
                        at,
                        start + hlen - at,
                    ));
                    break;
                }
            };
            // The headline names each option (Wireshark's summary).
            let short = label.split(':').next().unwrap_or(&label);
            names.push_str(", ");
            names.push_str(if short.starts_with("SACK ") && short != "SACK permitted" {
                "SACK"
            } else {
                short
            });
            let mut option = Field::text(format!("TCP Option - {label}"), at, len).with(children);
            if label == "SACK permitted" {
                option.name = "tcp.options.sack_perm";
            }
            opts.push(option);
            at += len;
        }
        fields.push(
            Field::text(
                format!("Options: ({} bytes){names}", hlen - 20),
                start + 20,
                hlen - 20,
            )
            .with(opts),
        );
    }
    let digits = 9u8;
    fields.push(Field::text("[Timestamps]".into(), start, 0).with(vec![
        Field::new(
            "tcp.time_relative",
            Value::Seconds(meta.time_relative, digits),
            format!(
                "[Time since first frame in this TCP stream: {} seconds]",
                secs_label(meta.time_relative, digits as usize)
            ),
            start,
            0,
        ),
        Field::new(
            "tcp.time_delta",
            Value::Seconds(meta.time_delta, digits),
            format!(
                "[Time since previous frame in this TCP stream: {} seconds]",
                secs_label(meta.time_delta, digits as usize)
            ),
            start,
            0,
        ),
    ]));
    // After the timestamps, as Wireshark adds it.
    if meta.analysis.flags != 0 {
        fields.push(analysis_fields(&meta.analysis, start));
    }
    if plen > 0 {
        fields.push(Field::new(
            "tcp.payload",
            Value::Bytes(tcp.payload().to_vec()),
            format!("TCP payload ({plen} bytes)"),
            start + hlen,
            plen,
        ));
    }
    Layer {
        proto: "tcp",
        label: format!(
            "Transmission Control Protocol, Src Port: {}, Dst Port: {}, Seq: {}{}, Len: {plen}",
            tcp.source_port(),
            tcp.destination_port(),
            meta.seq_shown(),
            meta.ack_shown()
                .map(|a| format!(", Ack: {a}"))
                .unwrap_or_default()
        ),
        start,
        len: hlen + plen,
        fields,
    }
}

/// `tcp.analysis` with its flag fields, named as Wireshark names them.
pub(super) fn analysis_fields(a: &crate::flow::analysis::Analysis, start: usize) -> Field {
    use crate::flow::analysis::flag::*;
    const NAMES: [(u32, &str, &str); 15] = [
        (
            REUSED_PORTS,
            "tcp.analysis.reused_ports",
            "A new tcp session is started with the same ports as an earlier session in this trace",
        ),
        (
            RETRANSMISSION,
            "tcp.analysis.retransmission",
            "This frame is a (suspected) retransmission",
        ),
        (
            FAST_RETRANSMISSION,
            "tcp.analysis.fast_retransmission",
            "This frame is a (suspected) fast retransmission",
        ),
        (
            SPURIOUS_RETRANSMISSION,
            "tcp.analysis.spurious_retransmission",
            "This frame is a (suspected) spurious retransmission",
        ),
        (
            OUT_OF_ORDER,
            "tcp.analysis.out_of_order",
            "This frame is a (suspected) out-of-order segment",
        ),
        (
            LOST_PACKET,
            "tcp.analysis.lost_segment",
            "Previous segment(s) not captured (common at capture start)",
        ),
        (
            ACK_LOST_PACKET,
            "tcp.analysis.ack_lost_segment",
            "ACKed segment that wasn't captured (common at capture start)",
        ),
        (
            WINDOW_UPDATE,
            "tcp.analysis.window_update",
            "TCP window update",
        ),
        (
            WINDOW_FULL,
            "tcp.analysis.window_full",
            "TCP window specified by the receiver is now completely full",
        ),
        (
            KEEP_ALIVE,
            "tcp.analysis.keep_alive",
            "TCP keep-alive segment",
        ),
        (
            KEEP_ALIVE_ACK,
            "tcp.analysis.keep_alive_ack",
            "ACK to a TCP keep-alive segment",
        ),
        (DUPLICATE_ACK, "tcp.analysis.duplicate_ack", "Duplicate ACK"),
        (
            ZERO_WINDOW_PROBE,
            "tcp.analysis.zero_window_probe",
            "TCP Zero Window Probe",
        ),
        (
            ZERO_WINDOW,
            "tcp.analysis.zero_window",
            "TCP Zero Window segment",
        ),
        (
            ZERO_WINDOW_PROBE_ACK,
            "tcp.analysis.zero_window_probe_ack",
            "ACK to a TCP Zero Window Probe",
        ),
    ];
    let mut flags: Vec<Field> = NAMES
        .iter()
        .filter(|(f, _, _)| a.flags & f != 0)
        .map(|(_, name, text)| Field::new(name, Value::None, format!("[{text}]"), start, 0))
        .collect();
    if a.flags & DUPLICATE_ACK != 0 {
        flags.push(Field::new(
            "tcp.analysis.duplicate_ack_num",
            Value::UInt(a.dup_ack_num as u64),
            format!("[Duplicate ACK #: {}]", a.dup_ack_num),
            start,
            0,
        ));
        flags.push(Field::new(
            "tcp.analysis.duplicate_ack_frame",
            Value::UInt(a.dup_ack_frame),
            format!("[Duplicate to the ACK in frame: {}]", a.dup_ack_frame),
            start,
            0,
        ));
    }
    Field::text("[SEQ/ACK analysis]".into(), start, 0).with(vec![Field::new(
        "tcp.analysis.flags",
        Value::None,
        "[TCP Analysis Flags]".into(),
        start,
        0,
    )
    .with(flags)])
}

/// Wireshark's wording of `tcp.completeness`.
pub(super) fn completeness_label(bits: u8) -> String {
    use crate::flow::completeness::*;
    let handshake = SYN | SYN_ACK | ACK;
    let state = if bits & handshake == handshake && bits & (FIN | RST) != 0 {
        if bits & DATA != 0 {
            "Complete, WITH_DATA"
        } else {
            "Complete, NO_DATA"
        }
    } else {
        "Incomplete"
    };
    let names: Vec<&str> = [
        (SYN, "SYN_SENT"),
        (SYN_ACK, "SYN_ACK_SENT"),
        (ACK, "ACK_SENT"),
        (DATA, "DATA"),
        (FIN, "FIN"),
        (RST, "RST"),
    ]
    .iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, n)| *n)
    .collect();
    if state == "Incomplete" && !names.is_empty() {
        format!("{state}, {} ({bits})", names.join(", "))
    } else {
        format!("{state} ({bits})")
    }
}

/// Wireshark's `tcp.flags.str`: one character per flag, `·` when clear.
pub(super) fn flags_str(flags: u16) -> String {
    const CHARS: [char; 12] = ['R', 'R', 'R', 'A', 'C', 'E', 'U', 'A', 'P', 'R', 'S', 'F'];
    (0..12)
        .map(|i| {
            let bit = 11 - i;
            if flags & (1 << bit) != 0 {
                CHARS[i]
            } else {
                '\u{b7}'
            }
        })
        .collect()
}
