//! `-x`: the hex and ASCII dump, byte for byte tshark's layout:
//! `0000  45 00 ... (16 bytes)   ascii`, with non-printables shown as `.`.

/// Appends the dump of `data` (each line ends in a newline).
pub fn write(out: &mut String, data: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (line, chunk) in data.chunks(16).enumerate() {
        let offset = line * 16;
        for shift in [12, 8, 4, 0] {
            out.push(HEX[(offset >> shift) & 0xf] as char);
        }
        out.push_str("  ");
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    out.push(HEX[(b >> 4) as usize] as char);
                    out.push(HEX[(b & 0xf) as usize] as char);
                    out.push(' ');
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                // tshark has no extra gap in the middle; keep the columns fixed.
            }
        }
        out.push_str("  ");
        for b in chunk {
            out.push(if b.is_ascii_graphic() || *b == b' ' {
                *b as char
            } else {
                '.'
            });
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn layout_matches_tshark() {
        let mut s = String::new();
        super::write(&mut s, b"\x00\x01GET / HTTP/1.1\r\n\x7f");
        assert_eq!(
            s,
            "0000  00 01 47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31   ..GET / HTTP/1.1\n\
             0010  0d 0a 7f                                          ...\n"
        );
    }
}
