//! HTCPCP byte streams, in fuzzed chunkings with holes and FIN, through the
//! message parser in HTCPCP mode (bare bodies, close-delimited BREWs), then
//! each message through the HTCPCP reading of it. What must hold: see
//! `fuzz_support::check_message_parser`; and a request's HTCPCP reading
//! keeps the message's method and target.

use coffeeshark::dissect::htcpcp::{interpret, Htcpcp};
use coffeeshark::dissect::http::StartLine;

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    for m in crate::check_message_parser(input, true) {
        match (interpret(&m), &m.start_line) {
            (Some(Htcpcp::Request(r)), StartLine::Request { method, target, .. }) => {
                assert_eq!(&r.method, method);
                assert_eq!(&r.uri, target);
            }
            (Some(Htcpcp::Request(_)), other) => panic!("a request read from {other:?}"),
            _ => {}
        }
    }
}
