//! coffeeshark: a packet analyser for the coffee-pot lab (HTCPCP over HTTP/1.x
//! and TLS) that prints what tshark prints.
//!
//! The pipeline, one streaming pass over a capture:
//!
//! ```text
//! source ──> link ──> decode ──> flow ──────> dissect ─────> model ──> filter ──> view ──> cli
//! (pcap,     (NULL,   (IPv4/6,   (tcp.stream, (reassembly,    (Packet,  (display  (list,   (read, follow,
//!  pcapng,    LOOP,    TCP, UDP,  relative     HTTP, HTCPCP,   columns,  filters,  details, conv, http,
//!  gzip,      Eth,     ICMP via   seq/ack,     TLS records     field     -T        hex,     report,
//!  live,      SLL/2,   etherparse) analysis,   and decryption, tree,     fields)   json,    diagram, tui)
//!  -w out)    RAW)                completeness WebSocket)      streams,            pdml,
//!                                 )                            transactions)       conv, ...)
//! ```
//!
//! Beside the pipeline: `report` (a whole capture as bounded facts: the
//! lab's answers and the space-time diagram, from the same pass), `tui`
//! (the terminal UI over the same model and views), `lab` (the reference
//! pot and web app that make traffic to capture; nothing above imports it).
//! [`pipeline::Analyzer`] ties the stages together (`pipeline::threads`
//! runs them on two threads); views are pure functions of a
//! [`model::Packet`]. Imports point down the pipeline only.

pub mod decode;
pub mod dissect;
pub mod filter;
pub mod flow;
#[cfg(feature = "lab")]
pub mod lab;
pub mod link;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod source;
pub mod tui;
pub mod view;

/// A xorshift64 generator for the tests that mutate bytes at random (the
/// same sequence every run).
#[cfg(test)]
pub(crate) fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
