//! tshark's `-o NAME:VALUE` preferences that coffeeshark knows.
//!
//! | preference | values | effect |
//! |---|---|---|
//! | `tls.keylog_file` (`ssl.keylog_file`) | a path | decrypt TLS with the NSS key log |
//! | `tcp.analyze_sequence_numbers` | TRUE / FALSE | FALSE: no sequence analysis (no `[TCP Retransmission]`, no `tcp.analysis.*`) and, as in tshark 4.0, raw sequence numbers |
//! | `tcp.relative_sequence_numbers` | TRUE / FALSE | FALSE: raw sequence and acknowledgement numbers (no `tcp.seq_raw`/`tcp.ack_raw` twins) |
//! | `tcp.desegment_tcp_streams` | TRUE | the default; FALSE is refused (streams are always reassembled) |
//! | `http.desegment_headers`, `http.desegment_body` | TRUE | the default; FALSE is refused |
//!
//! A boolean is TRUE when its value is `true` in any case, as in
//! Wireshark's `prefs_set_pref`; anything else is FALSE. An unknown name
//! gets tshark's message (`-o flag "NAME:VALUE" specifies unknown
//! preference`) and exit 2, before any capture is opened; so does a value
//! the engine cannot honour, with the reason.

use std::path::PathBuf;

/// The preferences given with `-o`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prefs {
    /// `tls.keylog_file`.
    pub keylog: Option<PathBuf>,
    /// `tcp.analyze_sequence_numbers` (TRUE unless given FALSE).
    pub tcp_analysis: bool,
    /// `tcp.relative_sequence_numbers` (TRUE unless given FALSE).
    pub relative_seq: bool,
}

impl Prefs {
    /// Sequence numbers shown raw: relative numbers off, or the analysis
    /// off (tshark 4.0 computes relative numbers in its analysis).
    pub fn absolute_seq(&self) -> bool {
        !self.relative_seq || !self.tcp_analysis
    }
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            keylog: None,
            tcp_analysis: true,
            relative_seq: true,
        }
    }
}

/// Parses every `-o` value; the error is the message to print.
pub(crate) fn parse(values: &[String]) -> Result<Prefs, String> {
    let mut prefs = Prefs::default();
    for pref in values {
        let unknown = || format!("-o flag \"{pref}\" specifies unknown preference");
        let (name, value) = pref.split_once(':').ok_or_else(unknown)?;
        let (name, value) = (name.trim(), value.trim());
        let is_true = value.eq_ignore_ascii_case("true");
        let only_true = |why: &str| {
            if is_true {
                Ok(())
            } else {
                Err(format!("-o {name}:{value}: {why}; only TRUE is accepted"))
            }
        };
        match name {
            "tls.keylog_file" | "ssl.keylog_file" => prefs.keylog = Some(value.into()),
            "tcp.analyze_sequence_numbers" => prefs.tcp_analysis = is_true,
            "tcp.relative_sequence_numbers" => prefs.relative_seq = is_true,
            "tcp.desegment_tcp_streams" => {
                only_true("coffeeshark always reassembles TCP streams before HTTP, HTCPCP and TLS")?
            }
            "http.desegment_headers" | "http.desegment_body" => {
                only_true("coffeeshark always reassembles HTTP headers and bodies")?
            }
            _ => return Err(unknown()),
        }
    }
    Ok(prefs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Result<Prefs, String> {
        parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn known_preferences() {
        let got = p(&[
            "tls.keylog_file: /tmp/k",
            "tcp.analyze_sequence_numbers:false",
        ])
        .unwrap();
        assert_eq!(got.keylog, Some(PathBuf::from("/tmp/k")));
        assert!(!got.tcp_analysis);
        assert!(
            p(&["tcp.analyze_sequence_numbers:TRUE"])
                .unwrap()
                .tcp_analysis
        );
        assert!(p(&["tcp.desegment_tcp_streams:TRUE", "http.desegment_body:true"]).is_ok());
    }

    #[test]
    fn unknown_and_unsupported_are_refused() {
        assert_eq!(
            p(&["foo.bar:1"]).unwrap_err(),
            "-o flag \"foo.bar:1\" specifies unknown preference"
        );
        assert!(p(&["nocolon"]).unwrap_err().contains("unknown preference"));
        assert!(p(&["tcp.desegment_tcp_streams:FALSE"])
            .unwrap_err()
            .contains("only TRUE"));
        assert!(p(&["tcp.relative_sequence_numbers:FALSE"])
            .unwrap()
            .absolute_seq());
        assert!(p(&["tcp.analyze_sequence_numbers:FALSE"])
            .unwrap()
            .absolute_seq());
        assert!(!p(&[]).unwrap().absolute_seq());
    }
}
