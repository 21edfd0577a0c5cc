//! pcap / pcapng / gzip bytes → the streaming reader → every frame.
//!
//! What must hold: the reader yields only frames inside the input: each
//! frame's bytes are found in the (decompressed) input right after its
//! record's header, at the offset the reader gives; offsets only grow.

use coffeeshark::source::CaptureReader;
use std::io::Read;

/// Decompressed input kept for the check (the reader decompresses the same
/// stream itself; a bigger bomb is cut here and checked only that far).
const PLAIN_CAP: u64 = 16 << 20;

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    let plain: Vec<u8> = if input.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(input)
            .take(PLAIN_CAP)
            .read_to_end(&mut out);
        out
    } else {
        input.to_vec()
    };
    let Ok(mut reader) = CaptureReader::from_reader(std::io::Cursor::new(input.to_vec())) else {
        return;
    };
    let mut prev: Option<u64> = None;
    // Bounded: every frame takes at least 12 bytes of input.
    for _ in 0..=plain.len() / 12 + 1 {
        let Ok(Some(frame)) = reader.next_frame() else {
            break;
        };
        let at = frame.file_offset;
        assert!(prev.map_or(true, |p| at > p), "offset {at} after {prev:?}");
        prev = Some(at);
        let at = at as usize;
        if plain.len() as u64 == PLAIN_CAP && at + frame.data.len() + 64 > plain.len() {
            break; // beyond what was kept for the check
        }
        assert!(
            at < plain.len(),
            "a frame at {at} beyond the input's {}",
            plain.len()
        );
        // Record headers: pcap 16 bytes, pcapng SPB 12, EPB and PB 28.
        let n = frame.data.len();
        let found = [12usize, 16, 28]
            .into_iter()
            .find(|&h| plain.get(at + h..at + h + n) == Some(frame.data));
        assert!(
            found.is_some(),
            "frame bytes ({n}) not at the record at {at}"
        );
    }
}
