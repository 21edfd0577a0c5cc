//! Task 8: what HTTPS hides from an eavesdropper, and what a key log reveals.

use super::*;

pub(super) fn task8(t: &Tally) -> Task {
    let mut answers = Vec::new();
    let tl = &t.tls;
    let web = t.web_port;
    let q = "With HTTPS on, what is still visible between the browser and the web app?";
    if tl.records == 0 {
        answers.push(cannot(
            q,
            format!(
                "No TLS on TCP {} in this capture: HTTPS was not in use.",
                t.web_port
            ),
        ));
        return Task {
            task: 8,
            title: "HTTPS".into(),
            answers,
        };
    }
    let mut versions = tl.versions.clone();
    versions.sort();
    let streams = t.tls_streams.total();
    answers.push(Answer {
        question: q.into(),
        answerable: true,
        answer: format!(
            "{} on {} to port {web} ({}). Visible: addresses, ports, TCP handshakes and teardowns, the TLS handshake messages ({}), record types and sizes, and timing. Hidden: {} Application Data records ({} bytes) carry the HTTP requests and responses encrypted, so no URL, header, form field or status code is visible ({} HTTP messages dissected on port {web}).",
            plural(tl.records, "TLS record", "TLS records"),
            plural(streams, "connection", "connections"),
            if versions.is_empty() { "version not shown".to_string() } else { versions.join(", ") },
            tl.kinds.iter().map(|k| k.0.clone()).collect::<Vec<_>>().join(", "),
            tl.app_records,
            tl.app_bytes,
            // Without the key log: the messages read in the clear only.
            t.http_on_web - tl.decrypted_http
        ),
        evidence: tl.kinds.iter().map(|(k, f)| ev(f.clone(), None, format!("{k} (first frames)"))).collect(),
        facts: json!({"tls_streams": t.tls_streams.iter().collect::<Vec<_>>(), "tls_stream_count": streams, "records": tl.records, "application_data_records": tl.app_records, "application_data_bytes": tl.app_bytes, "versions": versions, "http_messages_on_web_port": t.http_on_web}),
    });
    let q = "What does the key log (SSLKEYLOGFILE) reveal?";
    if tl.decrypted > 0 || tl.opaque_with_keys > 0 {
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!(
                "With the key log given, {} of the {} were decrypted{}: the TLS 1.3 handshake messages after the ServerHello (certificate included), the alerts, and {} inside them, URLs, headers, form fields, status codes and bodies \u{2014} everything TLS hid from the eavesdropper above. Whoever holds the key log reads the session as if it were plain HTTP; the log must stay as secret as the server's key.",
                plural(tl.decrypted, "record", "records"),
                plural(tl.records, "TLS record", "TLS records"),
                if tl.opaque_with_keys > 0 {
                    format!(" ({} had no usable key and stay opaque)", tl.opaque_with_keys)
                } else {
                    String::new()
                },
                plural(tl.decrypted_http, "HTTP message", "HTTP messages"),
            ),
            evidence: tl
                .decrypted_examples
                .iter()
                .map(|(f, s, l)| ev(vec![*f], Some(*s), format!("{l} (decrypted)")))
                .collect(),
            facts: json!({"decrypted_records": tl.decrypted, "decrypted_http_messages": tl.decrypted_http, "opaque_records_with_key_log": tl.opaque_with_keys}),
        });
    }
    let q = "Is the web app \u{2194} pot leg still readable?";
    if t.pot_msgs.is_empty() {
        answers.push(cannot(
            q,
            format!("No HTCPCP on TCP {} in this capture.", t.pot_port),
        ));
    } else {
        let mut evidence: Vec<Evidence> = t
            .pot_msgs
            .iter()
            .take(20)
            .map(|(f, s, l)| ev(vec![*f], Some(*s), l.clone()))
            .collect();
        let rest = t.pot_msgs.total().saturating_sub(20);
        if rest > 0 {
            evidence.push(ev(
                Vec::new(),
                None,
                format!("\u{2026} and {rest} more HTCPCP messages (Tasks 3 and 4 list them)"),
            ));
        }
        answers.push(Answer {
            question: q.into(),
            answerable: true,
            answer: format!("Yes: the web app talks to the pot in plaintext HTCPCP even when the browser uses HTTPS; {} are readable.", plural(t.pot_msgs.total(), "HTCPCP message", "HTCPCP messages")),
            evidence,
            facts: json!({"count": t.pot_msgs.total(), "frames": t.pot_msgs.iter().map(|l| l.0).collect::<Vec<_>>()}),
        });
    }
    let q = "Why does the browser warn about the certificate?";
    answers.push(match &tl.certificate {
        Some((frame, stream, info)) => Answer {
            question: q.into(),
            answerable: true,
            answer: format!("The server's certificate travels in clear in frame {frame} (TLS 1.2). The browser warns because it is self-signed: no certificate authority the browser trusts signed it."),
            evidence: vec![ev(vec![*frame], Some(*stream), info.clone())],
            facts: json!({"certificate_frame": frame}),
        },
        None => Answer {
            question: q.into(),
            answerable: false,
            answer: "The capture cannot show the certificate: no plaintext Certificate message (TLS 1.3 encrypts it in the Encrypted Handshake Message/Application Data records after the Server Hello). The lab's web app uses a self-signed certificate, which no certificate authority the browser trusts has signed: hence the warning.".into(),
            evidence: Vec::new(),
            facts: Value::Null,
        },
    });
    Task {
        task: 8,
        title: "HTTPS".into(),
        answers,
    }
}
