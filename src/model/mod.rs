//! The model every view reads: one [`Packet`] per frame (frame metadata, the
//! lax decode, TCP flow facts) and, built only on demand, its field tree
//! ([`tree::Tree`]), whose field names are Wireshark's display-filter names.

pub mod app_tree;
pub mod conversations;
pub mod field;
pub mod follow;
pub mod stats;
pub mod summary;
pub mod transactions;
pub mod tree;
pub mod websocket_tree;

use crate::decode::Decoded;
use crate::dissect::stream::AppFrame;
use crate::flow::TcpMeta;
use crate::source::{RawFrame, Timestamp, TsPrecision};

/// Per-frame facts that do not depend on the protocols inside (`frame.*`).
#[derive(Debug, Clone, Copy)]
pub struct FrameInfo {
    /// 1-based, as Wireshark numbers frames.
    pub number: u64,
    pub ts: Timestamp,
    /// False when the capture has no timestamp for this frame (pcapng SPB).
    pub has_ts: bool,
    pub precision: TsPrecision,
    /// Nanoseconds since the first frame (`frame.time_relative`).
    pub rel_nanos: i128,
    /// Nanoseconds since the previous frame (`frame.time_delta`).
    pub delta_nanos: i128,
    pub orig_len: u32,
    pub cap_len: u32,
    pub link_type: u32,
    pub interface_id: u32,
    /// pcapng section number (1-based); 0 for pcap files.
    pub section: u32,
    /// Where the frame's block starts in the (decompressed) file: the key of
    /// random access (`source::random`).
    pub file_offset: u64,
}

impl FrameInfo {
    /// The facts of `raw` as frame `number`, `rel_nanos` after the first
    /// frame and `delta_nanos` after the previous one.
    #[inline]
    pub fn of(raw: &RawFrame<'_>, number: u64, rel_nanos: i128, delta_nanos: i128) -> Self {
        FrameInfo {
            number,
            ts: raw.ts,
            has_ts: raw.has_ts,
            precision: raw.precision,
            rel_nanos,
            delta_nanos,
            orig_len: raw.orig_len,
            cap_len: raw.data.len() as u32,
            link_type: raw.link_type,
            interface_id: raw.interface_id,
            section: raw.section,
            file_offset: raw.file_offset,
        }
    }
}

/// One frame as the analyser understands it.
pub struct Packet<'a> {
    pub frame: FrameInfo,
    pub decoded: Decoded<'a>,
    pub tcp: Option<TcpMeta>,
    /// What HTTP, HTCPCP or TLS say about this frame (`None`: nothing, the
    /// frame is shown as TCP).
    pub app: Option<Box<AppFrame>>,
    /// Interface name and description from the capture, if any.
    pub interface_name: Option<&'a str>,
    pub interface_description: Option<&'a str>,
}
