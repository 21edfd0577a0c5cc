//! "Follow TCP stream" renderers: tshark's `-q -z follow,tcp,ascii|hex|raw,N`
//! text, byte for byte, and our JSON form.
//!
//! The renderer is fed one chunk at a time (a piece of reassembled data, or a
//! hole) so that a stream is printed while the capture is read. tshark 4.0's
//! text layout:
//!
//! ```text
//! (empty line)
//! ===================================================================
//! Follow: tcp,ascii
//! Filter: tcp.stream eq 0
//! Node 0: 127.0.0.1:36680            (the sender of the stream's first packet)
//! Node 1: 127.0.0.1:8000             (IPv6 as [addr]:port)
//! chunks...
//! ===================================================================
//! ```
//!
//! - ascii: the byte count on its own line, then the bytes with everything
//!   but printable ASCII, CR and LF shown as `.`, then a newline;
//! - hex: 16 bytes per line, offset (per direction, counting every printed
//!   byte, in `%08X`), hex in two groups of 8, ASCII in two groups of 8;
//! - raw: the bytes as lowercase hex on one line;
//! - Node 1's chunks (the count line in ascii, every line in hex, the line in
//!   raw) are indented by one tab.
//!
//! A hole tshark knows was lost (the peer acknowledged past it) is printed as
//! the data `[N bytes missing in capture file]` plus a NUL byte, counted like
//! any other data.
//!
//! JSON (`--format json`), one object:
//!
//! ```text
//! {"stream": 0, "client": "127.0.0.1:36680", "server": "127.0.0.1:8000",
//!  "chunks": [
//!   {"direction": "client", "frame": 4, "bytes": 78, "data": "GET / ...", "encoding": "utf8"},
//!   {"direction": "server", "frame": 9, "bytes": 3, "data": "AAEC", "encoding": "base64"},
//!   {"direction": "server", "frame": 12, "gap": 100}
//! ]}
//! ```
//!
//! `client` is Node 0, `server` Node 1; `frame` is the frame the chunk's first
//! byte arrived in (for a gap: the frame that showed the data was lost);
//! `data` is the chunk as UTF-8 text when it is valid UTF-8, base64 (standard
//! alphabet, padded) otherwise; a `gap` chunk stands for that many missing bytes.

use base64::Engine as _;
use std::fmt::Write as _;

/// Output formats of `coffeeshark follow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ascii,
    Hex,
    Raw,
    Json,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Ascii => "ascii",
            Format::Hex => "hex",
            Format::Raw => "raw",
            Format::Json => "json",
        }
    }
}

pub use crate::model::follow::{node, Chunk, Header};

const SEPARATOR: &str = "===================================================================\n";

/// Renders a followed stream chunk by chunk into a `String`.
#[derive(Debug)]
pub struct Renderer {
    format: Format,
    /// Bytes printed so far per direction (hex offsets).
    pos: [u32; 2],
    chunks: u64,
    /// `tcp`, or `tls` for the decrypted stream.
    protocol: &'static str,
}

impl Renderer {
    pub fn new(format: Format) -> Self {
        Renderer {
            format,
            pos: [0, 0],
            chunks: 0,
            protocol: "tcp",
        }
    }

    /// Names the followed protocol in the header (`Follow: tls,ascii`).
    pub fn with_protocol(mut self, protocol: &'static str) -> Self {
        self.protocol = protocol;
        self
    }

    pub fn header(&mut self, out: &mut String, h: &Header) {
        if self.format == Format::Json {
            let _ = write!(
                out,
                "{{\"stream\": {}, \"client\": {}, \"server\": {},\n \"chunks\": [",
                h.stream,
                json_str(&h.node0),
                json_str(&h.node1)
            );
            return;
        }
        out.push('\n');
        out.push_str(SEPARATOR);
        let _ = writeln!(out, "Follow: {},{}", self.protocol, self.format.name());
        let _ = writeln!(out, "Filter: tcp.stream eq {}", h.stream);
        let _ = writeln!(out, "Node 0: {}", h.node0);
        let _ = writeln!(out, "Node 1: {}", h.node1);
    }

    pub fn chunk(&mut self, out: &mut String, chunk: Chunk<'_>) {
        let marker;
        let (server, frame, data) = match chunk {
            Chunk::Data {
                server,
                frame,
                data,
            } => (server, frame, data),
            Chunk::Gap {
                server,
                frame,
                missing,
            } => {
                if self.format == Format::Json {
                    self.json_sep(out);
                    let _ = write!(
                        out,
                        "{{\"direction\": \"{}\", \"frame\": {frame}, \"gap\": {missing}}}",
                        direction(server)
                    );
                    return;
                }
                // tshark prints the count as a C int, NUL terminator included.
                marker = format!("[{} bytes missing in capture file]\0", missing as i32);
                (server, frame, marker.as_bytes())
            }
        };
        if data.is_empty() {
            return;
        }
        let tab = if server { "\t" } else { "" };
        match self.format {
            Format::Ascii => {
                let _ = writeln!(out, "{tab}{}", data.len());
                out.extend(data.iter().map(|&b| match b {
                    b'\r' | b'\n' | 0x20..=0x7e => b as char,
                    _ => '.',
                }));
                out.push('\n');
            }
            Format::Hex => {
                let pos = &mut self.pos[usize::from(server)];
                hex_lines(out, tab, *pos, data);
                *pos = pos.wrapping_add(data.len() as u32);
            }
            Format::Raw => {
                out.push_str(tab);
                for &b in data {
                    out.push(HEX[usize::from(b >> 4)] as char);
                    out.push(HEX[usize::from(b & 15)] as char);
                }
                out.push('\n');
            }
            Format::Json => {
                self.json_sep(out);
                let (text, encoding) = match std::str::from_utf8(data) {
                    Ok(s) => (json_str(s), "utf8"),
                    Err(_) => (
                        format!(
                            "\"{}\"",
                            base64::engine::general_purpose::STANDARD.encode(data)
                        ),
                        "base64",
                    ),
                };
                let _ = write!(
                    out,
                    "{{\"direction\": \"{}\", \"frame\": {frame}, \"bytes\": {}, \"data\": {text}, \"encoding\": \"{encoding}\"}}",
                    direction(server),
                    data.len()
                );
            }
        }
    }

    pub fn footer(&mut self, out: &mut String) {
        if self.format == Format::Json {
            out.push_str(if self.chunks == 0 { "]}\n" } else { "\n]}\n" });
        } else {
            out.push_str(SEPARATOR);
        }
    }

    fn json_sep(&mut self, out: &mut String) {
        out.push_str(if self.chunks == 0 { "\n  " } else { ",\n  " });
        self.chunks += 1;
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn direction(server: bool) -> &'static str {
    if server {
        "server"
    } else {
        "client"
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// Column where the ASCII part of a hex line starts.
const ASCII_COL: usize = 60;

/// tshark's follow hex dump of one chunk starting at stream offset `pos`.
fn hex_lines(out: &mut String, prefix: &str, mut pos: u32, data: &[u8]) {
    for line in data.chunks(16) {
        out.push_str(prefix);
        let start = out.len();
        let _ = write!(out, "{pos:08X}  ");
        let mut ascii = String::with_capacity(17);
        for (i, &b) in line.iter().enumerate() {
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
            out.push(' ');
            ascii.push(if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            });
            if i == 7 {
                out.push(' ');
                ascii.push(' ');
            }
        }
        while out.len() - start < ASCII_COL {
            out.push(' ');
        }
        if ascii.ends_with(' ') {
            ascii.pop();
        }
        out.push_str(&ascii);
        out.push('\n');
        pos = pos.wrapping_add(line.len() as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_line_layout() {
        let mut out = String::new();
        hex_lines(&mut out, "\t", 0x1a, b"0123456789abcdefgh");
        assert_eq!(
            out,
            "\t0000001A  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  01234567 89abcdef\n\
             \t0000002A  67 68                                             gh\n"
        );
        out.clear();
        hex_lines(&mut out, "", 0, b"01234567");
        assert_eq!(
            out,
            "00000000  30 31 32 33 34 35 36 37                           01234567\n"
        );
    }

    #[test]
    fn gap_marker_counts_its_nul() {
        let mut r = Renderer::new(Format::Ascii);
        let mut out = String::new();
        r.chunk(
            &mut out,
            Chunk::Gap {
                server: true,
                frame: 3,
                missing: 5,
            },
        );
        assert_eq!(out, "\t34\n[5 bytes missing in capture file].\n");
    }

    #[test]
    fn json_chunks_pick_an_encoding() {
        let mut r = Renderer::new(Format::Json);
        let mut out = String::new();
        r.header(
            &mut out,
            &Header {
                stream: 2,
                node0: "a:1".into(),
                node1: "b:2".into(),
            },
        );
        r.chunk(
            &mut out,
            Chunk::Data {
                server: false,
                frame: 4,
                data: "caf\u{e9}\n".as_bytes(),
            },
        );
        r.chunk(
            &mut out,
            Chunk::Data {
                server: true,
                frame: 5,
                data: &[0, 0xff, 1],
            },
        );
        r.chunk(
            &mut out,
            Chunk::Gap {
                server: true,
                frame: 6,
                missing: 7,
            },
        );
        r.footer(&mut out);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["stream"], 2);
        assert_eq!(v["client"], "a:1");
        let c = v["chunks"].as_array().unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0]["data"], "caf\u{e9}\n");
        assert_eq!(c[0]["bytes"], 6);
        assert_eq!(c[0]["encoding"], "utf8");
        assert_eq!(c[1]["data"], "AP8B");
        assert_eq!(c[1]["encoding"], "base64");
        assert_eq!(c[1]["direction"], "server");
        assert_eq!(c[2]["gap"], 7);
    }
}
