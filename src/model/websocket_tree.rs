//! The WebSocket layers of the field tree (RFC 6455 frames, [`Frame`]),
//! with tshark 4.0's names, values and labels: `websocket` (the frame
//! header, the unmasked payload: text, ping/pong data, close status code
//! and reason), `websocket.fragments` on the frame that completes a
//! fragmented message, then the payload's own layer (`data-text-lines` for
//! text, `data` for binary). Every field covers the frame's TCP payload, as
//! the other application layers do ([`Span`]).

use super::app_tree::Span;
use super::tree::{Field, Layer, Value};
use crate::dissect::stream::Pdu;
use crate::dissect::websocket::{close_code_name, opcode, opcode_name, Frame};

/// Wireshark's `ITEM_LABEL_LENGTH` (240, with its NUL): a longer label is
/// cut to this many bytes, its name marked `[truncated]` (as measured on
/// tshark 4.0's output).
const LABEL_MAX: usize = 238;

/// Appends the layers of one WebSocket frame and their protocol names.
pub fn push_frame(
    pdu: &Pdu,
    frame: &Frame,
    span: Span,
    layers: &mut Vec<Layer>,
    protocols: &mut Vec<&'static str>,
) {
    let _ = pdu;
    layers.push(frame_layer(frame, span));
    if let Some(m) = &frame.message {
        layers.push(fragments_layer(m, span));
    }
    if !frame.fin || frame.is_control() {
        return;
    }
    let data = frame.data();
    match frame.message_opcode() {
        opcode::TEXT => {
            layers.push(text_lines_layer(data, span));
            protocols.push("data-text-lines");
        }
        opcode::BINARY if !data.is_empty() => {
            layers.push(data_layer(data, span));
            protocols.push("data");
        }
        _ => {}
    }
}

fn f(name: &'static str, value: Value, label: String, span: Span) -> Field {
    Field::new(name, value, label, span.start, span.len)
}

/// `1... .... = Fin: True`-style bit labels of the first two header bytes.
fn bits(byte: u8, mask: u8) -> String {
    let mut s = String::with_capacity(9);
    for i in (0..8).rev() {
        if i == 3 {
            s.push(' ');
        }
        let bit = 1u8 << i;
        s.push(if mask & bit == 0 {
            '.'
        } else if byte & bit != 0 {
            '1'
        } else {
            '0'
        });
    }
    s
}

fn true_false(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A label as Wireshark cuts it (`Text [truncated]: ...`).
fn label_of(name: &str, value: &str) -> String {
    let whole = format!("{name}: {value}");
    if whole.len() <= LABEL_MAX + 1 {
        return whole;
    }
    let mut cut = format!("{name} [truncated]: {value}");
    let mut end = LABEL_MAX;
    while !cut.is_char_boundary(end) {
        end -= 1;
    }
    cut.truncate(end);
    cut
}

fn frame_layer(fr: &Frame, span: Span) -> Layer {
    let b0 = u8::from(fr.fin) << 7 | fr.rsv << 4 | fr.opcode;
    let b1 = u8::from(fr.mask.is_some()) << 7 | fr.len7;
    let mut fields = vec![
        f(
            "websocket.fin",
            Value::Bool(fr.fin),
            format!("{} = Fin: {}", bits(b0, 0x80), true_false(fr.fin)),
            span,
        ),
        f(
            "websocket.rsv",
            Value::Hex(u64::from(fr.rsv), 2),
            format!("{} = Reserved: 0x{:x}", bits(b0, 0x70), fr.rsv),
            span,
        ),
        f(
            "websocket.opcode",
            Value::UInt(u64::from(fr.opcode)),
            format!(
                "{} = Opcode: {} ({})",
                bits(b0, 0x0F),
                opcode_name(fr.opcode),
                fr.opcode
            ),
            span,
        ),
        f(
            "websocket.mask",
            Value::Bool(fr.mask.is_some()),
            format!(
                "{} = Mask: {}",
                bits(b1, 0x80),
                true_false(fr.mask.is_some())
            ),
            span,
        ),
    ];
    let ext = match fr.len7 {
        126 => " Extended Payload Length (16 bits)",
        127 => " Extended Payload Length (64 bits)",
        _ => "",
    };
    fields.push(f(
        "websocket.payload_length",
        Value::UInt(u64::from(fr.len7)),
        format!("{} = Payload length: {}{ext}", bits(b1, 0x7F), fr.len7),
        span,
    ));
    match fr.len7 {
        126 => fields.push(f(
            "websocket.payload_length_ext_16",
            Value::UInt(fr.payload_len),
            format!("Extended Payload length (16 bits): {}", fr.payload_len),
            span,
        )),
        127 => fields.push(f(
            "websocket.payload_length_ext_64",
            Value::UInt(fr.payload_len),
            format!("Extended Payload length (64 bits): {}", fr.payload_len),
            span,
        )),
        _ => {}
    }
    if let Some(key) = fr.mask {
        fields.push(f(
            "websocket.masking_key",
            Value::Bytes(key.to_vec()),
            format!("Masking-Key: {}", hex(&key)),
            span,
        ));
        fields.push(f(
            "websocket.masked_payload",
            Value::None,
            "Masked payload".into(),
            span,
        ));
    }
    let mut payload = f("websocket.payload", Value::None, "Payload".into(), span);
    payload.children = payload_fields(fr, span);
    fields.push(payload);
    Layer {
        proto: "websocket",
        label: "WebSocket".into(),
        start: span.start,
        len: span.len,
        fields,
    }
}

/// What the payload shows: the text of a whole text message (on its last
/// fragment: the message), control frames' data, the close code and
/// reason. A fragment before the last shows nothing (tshark).
fn payload_fields(fr: &Frame, span: Span) -> Vec<Field> {
    let data = fr.data();
    let bytes = |name: &'static str, label: &str| {
        vec![f(
            name,
            Value::Bytes(data.to_vec()),
            label_of(label, &hex(data)),
            span,
        )]
    };
    match fr.opcode {
        opcode::PING => bytes("websocket.payload.ping", "Ping"),
        opcode::PONG => bytes("websocket.payload.pong", "Pong"),
        opcode::CLOSE => {
            let mut close = f("websocket.payload.close", Value::None, "Close".into(), span);
            if data.len() >= 2 {
                let code = u16::from_be_bytes([data[0], data[1]]);
                close.children.push(f(
                    "websocket.payload.close.status_code",
                    Value::UInt(u64::from(code)),
                    format!("Status code: {} ({code})", close_code_name(code)),
                    span,
                ));
                if data.len() > 2 {
                    let reason = String::from_utf8_lossy(&data[2..]).into_owned();
                    close.children.push(f(
                        "websocket.payload.close.reason",
                        Value::Str(reason.clone()),
                        label_of("Reason", &reason),
                        span,
                    ));
                }
            }
            vec![close]
        }
        _ if !fr.fin => Vec::new(),
        _ if fr.message_opcode() == opcode::TEXT => {
            let text = String::from_utf8_lossy(data).into_owned();
            vec![f(
                "websocket.payload.text",
                Value::Str(text.clone()),
                label_of("Text", &text),
                span,
            )]
        }
        opcode::TEXT | opcode::BINARY | opcode::CONTINUATION => Vec::new(),
        _ => bytes("websocket.payload.unknown", "Unknown"),
    }
}

fn fragments_layer(m: &crate::dissect::websocket::Reassembled, span: Span) -> Layer {
    let total: u64 = m.fragments.iter().map(|x| x.1).sum();
    let mut fields = Vec::new();
    let mut at = 0u64;
    for (fr, n) in &m.fragments {
        fields.push(f(
            "websocket.fragment",
            Value::UInt(*fr),
            format!(
                "[Frame: {fr}, payload: {at}-{} ({n} bytes)]",
                (at + n).saturating_sub(1)
            ),
            span,
        ));
        at += n;
    }
    fields.push(f(
        "websocket.fragment.count",
        Value::UInt(m.fragments.len() as u64),
        format!("[Fragment count: {}]", m.fragments.len()),
        span,
    ));
    fields.push(f(
        "websocket.reassembled.length",
        Value::UInt(total),
        format!("[Reassembled websocket Payload length: {total}]"),
        span,
    ));
    let list: Vec<String> = m
        .fragments
        .iter()
        .map(|(fr, n)| format!("#{fr}({n})"))
        .collect();
    Layer {
        proto: "websocket.fragments",
        label: format!(
            "[{} Reassembled websocket Fragments ({total} bytes): {}]",
            m.fragments.len(),
            list.join(", ")
        ),
        start: span.start,
        len: span.len,
        fields,
    }
}

/// `Line-based text data (N lines)`: one text node per line, its line end
/// shown escaped as Wireshark does.
fn text_lines_layer(data: &[u8], span: Span) -> Layer {
    let text = String::from_utf8_lossy(data);
    let mut fields = Vec::new();
    for line in text.split_inclusive('\n') {
        let shown = line.replace('\r', "\\r").replace('\n', "\\n");
        let label = if shown.len() > LABEL_MAX {
            let mut end = LABEL_MAX - " [truncated]".len();
            while !shown.is_char_boundary(end) {
                end -= 1;
            }
            format!(" [truncated]{}", &shown[..end])
        } else {
            shown
        };
        fields.push(Field::text(label, span.start, span.len));
    }
    Layer {
        proto: "data-text-lines",
        label: format!("Line-based text data ({} lines)", fields.len()),
        start: span.start,
        len: span.len,
        fields,
    }
}

fn data_layer(data: &[u8], span: Span) -> Layer {
    let n = data.len();
    let preview = if n > 24 {
        format!("{}…", hex(&data[..24]))
    } else {
        hex(data)
    };
    Layer {
        proto: "data",
        label: format!("Data ({n} byte{})", if n == 1 { "" } else { "s" }),
        start: span.start,
        len: span.len,
        fields: vec![
            f(
                "data.data",
                Value::Bytes(data.to_vec()),
                format!("Data: {preview}"),
                span,
            ),
            f(
                "data.len",
                Value::UInt(n as u64),
                format!("[Length: {n}]"),
                span,
            ),
        ],
    }
}
