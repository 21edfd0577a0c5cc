//! TLS byte streams, in fuzzed chunkings with holes and FIN, through the
//! record parser (handshake messages read out of plaintext records); then
//! every application-data record through record decryption with a key from
//! the seed, and the stream's bytes through the key-log reader.
//!
//! What must hold: records come in stream order with ranges inside the
//! stream; a kept payload never exceeds the record size cap, nor its header's
//! length (for a record that is not `invalid`); both chunkings give the same
//! records; a record the fuzzer made never authenticates under a key it did
//! not derive the record from (AEAD: no forgery).
//!
//! Flags: bit 1 holes, bit 2 end of stream.

use crate::{plan, range_ok, Piece, StreamInput};
use coffeeshark::dissect::tls::decrypt::{suite, DirectionKeys};
use coffeeshark::dissect::tls::keylog::KeyLog;
use coffeeshark::dissect::tls::{RecordParser, MAX_RECORD_LEN};

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    let Some(inp) = StreamInput::parse(input) else {
        return;
    };
    let run = |cuts: bool| {
        let mut p = RecordParser::new();
        let mut out = Vec::new();
        for piece in plan(inp.data.len(), inp.seed, inp.flag(1), cuts) {
            match piece {
                Piece::Data(r) => p.push(&inp.data[r], |rec| out.push(rec)),
                Piece::Hole(r) => p.gap(r.len() as u64, |rec| out.push(rec)),
            }
            assert!(p.buffered() <= 2 * MAX_RECORD_LEN + 5);
        }
        if inp.flag(2) {
            p.end_of_stream(|rec| out.push(rec));
        }
        out
    };
    let whole = run(false);
    let len = inp.data.len() as u64;
    let mut prev_end = 0;
    for rec in &whole {
        assert!(
            range_ok(&rec.range, prev_end, len),
            "record {:?} after {prev_end} in {len}",
            rec.range
        );
        prev_end = rec.range.end;
        assert!(rec.payload.len() <= MAX_RECORD_LEN);
        if !rec.invalid {
            assert!(rec.payload.len() as u64 + rec.missing <= u64::from(rec.length));
        }
        let _ = (rec.info(), rec.alert(), rec.selected_version());
    }
    assert_eq!(whole, run(true), "another chunking gave other records");

    // Decryption inputs: keys from the seed, every suite in turn.
    let secret = inp.seed.to_le_bytes().repeat(6);
    for (i, rec) in whole
        .iter()
        .filter(|r| r.content_type == 23 && !r.invalid)
        .enumerate()
    {
        let id = [0x1301, 0x1302, 0x1303, 0xc02f, 0xcca8][i % 5];
        let s = suite(id).expect("a suite we decrypt");
        let keys = if s.tls13 {
            // SHA-384 for 0x1302, SHA-256 for the others.
            DirectionKeys::tls13(s, &secret[..if id == 0x1302 { 48 } else { 32 }])
        } else {
            DirectionKeys::tls12(s, &secret[..48], &[7; 32], &[9; 32]).map(|(c, _)| c)
        };
        if let Some(mut k) = keys {
            let header = [
                rec.content_type,
                (rec.version >> 8) as u8,
                rec.version as u8,
                (rec.length >> 8) as u8,
                rec.length as u8,
            ];
            assert!(
                k.open(header, &rec.payload).is_none(),
                "a forged record authenticated"
            );
        }
    }
    let log = KeyLog::parse_bytes(inp.data);
    let _ = log.sessions();
}
