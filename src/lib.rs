//! coffeeshark: a packet analyser for the coffee-pot lab (HTCPCP over HTTP/1.x
//! and TLS) that prints what tshark prints.
//!
//! The pipeline, one streaming pass over a capture:
//!
//! ```text
//! source ──> link ──> decode ──> flow ──> model ──> view
//! (pcap,     (NULL,   (IPv4/6,   (tcp.stream,  (Packet,   (list, details,
//!  pcapng,    LOOP,    TCP, UDP,  relative      columns,   hex, json)
//!  gzip)      Eth,     ICMP via   seq/ack,      field
//!             SLL/2,   etherparse) window       tree)
//!             RAW)                 scaling)
//! ```
//!
//! [`pipeline::Analyzer`] ties the stages together; views are pure functions
//! of a [`model::Packet`]. Imports point down the pipeline only.

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
