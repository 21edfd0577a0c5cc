//! TLS's layer of the field tree (Wireshark's `tls` names): a field a
//! record, its handshake messages, and with a key log what was decrypted.

use super::*;
use crate::dissect::tls::{self, HandshakeBody, Record};

/// `TLSv1.3` (the Protocol column) as a version number.
pub(super) fn column_version(col: &str) -> Option<u16> {
    Some(match col {
        "SSLv3" => 0x0300,
        "TLSv1" => 0x0301,
        "TLSv1.1" => 0x0302,
        "TLSv1.2" => 0x0303,
        "TLSv1.3" => 0x0304,
        _ => return None,
    })
}

/// `TLSv1.2` as a record layer is named.
pub(super) fn record_version_name(v: u16) -> String {
    match v {
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1".into(),
        0x0302 => "TLSv1.1".into(),
        0x0303 => "TLSv1.2".into(),
        0x0304 => "TLSv1.3".into(),
        _ => "TLS".into(),
    }
}

pub(super) fn version_label(v: u16) -> String {
    match tls::version_name(v) {
        Some(n) => format!("{n} (0x{v:04x})"),
        None => format!("Unknown (0x{v:04x})"),
    }
}

pub(super) fn hex_preview(b: &[u8]) -> String {
    const MAX: usize = 36;
    let mut s: String = b.iter().take(MAX).map(|x| format!("{x:02x}")).collect();
    if b.len() > MAX {
        s.push('\u{2026}');
    }
    s
}

/// `tls.app_data_proto` of decrypted data dissected as HTTP/HTCPCP.
pub(super) const HTTP_PROTO: &str = "Hypertext Transfer Protocol";

/// The `tls` layer: the frame's records.
pub(super) fn tls_layer(records: &[&Record], session: Option<u16>, span: Span) -> Layer {
    // The version a record is named after: the session's once a
    // ServerHello in this frame chose it, else the column's (which is the
    // record's own before any ServerHello).
    let has_server_hello = records.iter().any(|r| r.server_hello().is_some());
    let mut known = if has_server_hello { None } else { session };
    let mut fields = Vec::new();
    for r in records {
        let named = known.unwrap_or(r.version);
        fields.push(tls_record(r, named, span));
        if let Some(v) = r.selected_version() {
            known = Some(v);
        }
    }
    Layer {
        proto: "tls",
        label: "Transport Layer Security".into(),
        start: span.start,
        len: span.len,
        fields,
    }
}

pub(super) fn tls_record(r: &Record, named: u16, span: Span) -> Field {
    let vname = record_version_name(named);
    if r.invalid {
        return text(
            format!(
                "{vname} Record Layer: Continuation Data ({} bytes)",
                r.payload.len()
            ),
            span,
        );
    }
    // A decrypted record is shown by what it holds (its inner type).
    let (ctype, content, encrypted) = r.content();
    let decrypted = r.plaintext().is_some();
    let proto = match ctype {
        tls::CHANGE_CIPHER_SPEC => "Change Cipher Spec Protocol",
        tls::ALERT => "Alert Protocol",
        tls::HANDSHAKE => "Handshake Protocol",
        tls::APPLICATION_DATA => "Application Data Protocol",
        tls::HEARTBEAT => "Heartbeat Protocol",
        _ => "Unknown Protocol",
    };
    let what = match ctype {
        tls::HANDSHAKE if !encrypted && r.handshake_types.len() > 1 => {
            "Multiple Handshake Messages".to_string()
        }
        tls::APPLICATION_DATA if r.inner_http => HTTP_PROTO.to_string(),
        tls::ALERT if !encrypted => match r.alert() {
            Some((_, d)) => tls::alert_description_name(d)
                .map_or_else(|| format!("Unknown ({d})"), str::to_string),
            None => "Alert".to_string(),
        },
        _ => r.info(),
    };
    let mut children = Vec::new();
    let ct_label = format!(
        "{}: {} ({})",
        if named == 0x0304 && r.content_type == tls::APPLICATION_DATA {
            "Opaque Type"
        } else {
            "Content Type"
        },
        tls::content_type_name(r.content_type).unwrap_or("Unknown"),
        r.content_type
    );
    // TLS 1.3 names the outer type of protected records "opaque type".
    let ct_name = if named == 0x0304 && r.content_type == tls::APPLICATION_DATA {
        "tls.record.opaque_type"
    } else {
        "tls.record.content_type"
    };
    children.push(uint(ct_name, ct_label, u64::from(r.content_type), span));
    children.push(f(
        "tls.record.version",
        Value::Hex(u64::from(r.version), 4),
        format!("Version: {}", version_label(r.version)),
        span,
    ));
    children.push(uint(
        "tls.record.length",
        format!("Length: {}", r.length),
        u64::from(r.length),
        span,
    ));
    if decrypted && ct_name == "tls.record.opaque_type" {
        // TLS 1.3: the real type, from the decrypted inner plaintext.
        children.push(uint(
            "tls.record.content_type",
            format!(
                "[Content Type: {} ({ctype})]",
                tls::content_type_name(ctype).unwrap_or("Unknown")
            ),
            u64::from(ctype),
            span,
        ));
    }
    match ctype {
        tls::HANDSHAKE if encrypted || r.handshakes.is_empty() => {
            children.push(text(
                "Handshake Protocol: Encrypted Handshake Message".into(),
                span,
            ));
        }
        tls::HANDSHAKE => {
            for hs in &r.handshakes {
                children.push(handshake(hs, span));
            }
        }
        tls::CHANGE_CIPHER_SPEC => {
            children.push(f(
                "tls.change_cipher_spec",
                Value::None,
                "Change Cipher Spec Message".into(),
                span,
            ));
        }
        tls::ALERT => match r.alert() {
            Some((level, d)) => {
                let ln = tls::alert_level_name(level)
                    .map_or_else(|| format!("Unknown ({level})"), str::to_string);
                let dn = tls::alert_description_name(d)
                    .map_or_else(|| format!("Unknown ({d})"), str::to_string);
                children.push(
                    f(
                        "tls.alert_message",
                        Value::None,
                        "Alert Message".to_string(),
                        span,
                    )
                    .with(vec![
                        uint(
                            "tls.alert_message.level",
                            format!("Level: {ln} ({level})"),
                            u64::from(level),
                            span,
                        ),
                        uint(
                            "tls.alert_message.desc",
                            format!("Description: {dn} ({d})"),
                            u64::from(d),
                            span,
                        ),
                    ]),
                );
            }
            None => children.push(text("Alert Message: Encrypted Alert".into(), span)),
        },
        tls::APPLICATION_DATA => {
            children.push(f(
                "tls.app_data",
                Value::Bytes(r.payload.clone()),
                format!("Encrypted Application Data: {}", hex_preview(&r.payload)),
                span,
            ));
            if decrypted {
                if r.inner_http {
                    children.push(f(
                        "tls.app_data_proto",
                        Value::Str(HTTP_PROTO.into()),
                        format!("[Application Data Protocol: {HTTP_PROTO}]"),
                        span,
                    ));
                }
                children.push(text(
                    format!("[Decrypted TLS ({} bytes)]", content.len()),
                    span,
                ));
            } else {
                children.push(text(
                    format!(
                        "[Encrypted Application Data, {} bytes \u{2014} content not visible without keys]",
                        r.length
                    ),
                    span,
                ));
            }
        }
        _ => {}
    }
    if r.missing > 0 {
        children.push(text(
            format!("[{} bytes missing in capture file]", r.missing),
            span,
        ));
    }
    if let Some(why) = r.decryption_note() {
        children.push(text(format!("[Expert Info (Warning): {why}]"), span));
    }
    f(
        "tls.record",
        Value::None,
        format!("{vname} Record Layer: {proto}: {what}"),
        span,
    )
    .with(children)
}

pub(super) fn handshake(hs: &tls::Handshake, span: Span) -> Field {
    let name = tls::handshake_type_name(hs.msg_type)
        .map_or_else(|| format!("Unknown ({})", hs.msg_type), str::to_string);
    let mut children = vec![
        uint(
            "tls.handshake.type",
            format!("Handshake Type: {name} ({})", hs.msg_type),
            u64::from(hs.msg_type),
            span,
        ),
        uint(
            "tls.handshake.length",
            format!("Length: {}", hs.length),
            u64::from(hs.length),
            span,
        ),
    ];
    let suite = |id: u16| {
        let n = tls::cipher_suite_name(id).unwrap_or("Unknown");
        f(
            "tls.handshake.ciphersuite",
            Value::Hex(u64::from(id), 4),
            format!("Cipher Suite: {n} (0x{id:04x})"),
            span,
        )
    };
    match &hs.body {
        HandshakeBody::ClientHello(c) => {
            children.push(f(
                "tls.handshake.version",
                Value::Hex(u64::from(c.legacy_version), 4),
                format!("Version: {}", version_label(c.legacy_version)),
                span,
            ));
            children.push(
                f(
                    "tls.handshake.ciphersuites",
                    Value::None,
                    format!("Cipher Suites ({} suites)", c.cipher_suites.len()),
                    span,
                )
                .with(c.cipher_suites.iter().map(|&id| suite(id)).collect()),
            );
            if !c.supported_versions.is_empty() {
                children.push(
                    text("Extension: supported_versions".into(), span).with(
                        c.supported_versions
                            .iter()
                            .map(|&v| {
                                f(
                                    "tls.handshake.extensions.supported_version",
                                    Value::Hex(u64::from(v), 4),
                                    format!("Supported Version: {}", version_label(v)),
                                    span,
                                )
                            })
                            .collect(),
                    ),
                );
            }
            if !c.alpn.is_empty() {
                children.push(
                    text(
                        "Extension: application_layer_protocol_negotiation".into(),
                        span,
                    )
                    .with(
                        c.alpn
                            .iter()
                            .map(|p| {
                                s(
                                    "tls.handshake.extensions_alpn_str",
                                    "ALPN Next Protocol",
                                    p.clone(),
                                    span,
                                )
                            })
                            .collect(),
                    ),
                );
            }
            if !c.server_names.is_empty() {
                children.push(
                    text("Extension: server_name".into(), span).with(
                        c.server_names
                            .iter()
                            .map(|n| {
                                s(
                                    "tls.handshake.extensions_server_name",
                                    "Server Name",
                                    n.clone(),
                                    span,
                                )
                            })
                            .collect(),
                    ),
                );
            }
        }
        HandshakeBody::ServerHello(sh) => {
            children.push(f(
                "tls.handshake.version",
                Value::Hex(u64::from(sh.legacy_version), 4),
                format!("Version: {}", version_label(sh.legacy_version)),
                span,
            ));
            children.push(suite(sh.cipher_suite));
            if let Some(v) = sh.supported_version {
                children.push(
                    text("Extension: supported_versions".into(), span).with(vec![f(
                        "tls.handshake.extensions.supported_version",
                        Value::Hex(u64::from(v), 4),
                        format!("Supported Version: {}", version_label(v)),
                        span,
                    )]),
                );
            }
            if let Some(p) = &sh.alpn {
                children.push(
                    text(
                        "Extension: application_layer_protocol_negotiation".into(),
                        span,
                    )
                    .with(vec![s(
                        "tls.handshake.extensions_alpn_str",
                        "ALPN Next Protocol",
                        p.clone(),
                        span,
                    )]),
                );
            }
        }
        HandshakeBody::Certificate(certs) => {
            for (i, c) in certs.iter().enumerate() {
                let mut node = text(format!("Certificate {}", i + 1), span);
                if let Some(sub) = &c.subject {
                    node.children
                        .push(text(format!("subject: rdnSequence: {sub}"), span));
                }
                if let Some(iss) = &c.issuer {
                    node.children
                        .push(text(format!("issuer: rdnSequence: {iss}"), span));
                }
                children.push(node);
            }
        }
        HandshakeBody::Fragment => {
            children.push(text(
                "[Handshake message continues in the next record]".into(),
                span,
            ));
        }
        HandshakeBody::Malformed => {
            children.push(text("[Malformed handshake message]".into(), span));
        }
        HandshakeBody::Other => {}
    }
    f(
        "tls.handshake",
        Value::None,
        format!("Handshake Protocol: {name}"),
        span,
    )
    .with(children)
}
