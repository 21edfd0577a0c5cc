//! HTTP/1.x byte streams, in fuzzed chunkings with holes and FIN, through
//! the message parser; see `fuzz_support::check_message_parser` for what
//! must hold. Each message also goes through the views' summary.

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    for m in crate::check_message_parser(input, false) {
        let _ = (m.summary(), m.full_uri(), m.media_type(), m.code());
    }
}
