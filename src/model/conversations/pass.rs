//! The counting pass of `coffeeshark conv` and the terminal UI's
//! conversations view: conversations with nothing to filter or dissect,
//! straight from the TCP segments, the flow table holding each
//! connection's row and handing it to the table, packed, when it forgets the
//! connection.

use super::{Conversation, ConversationTable, Segment};
use crate::decode;
use crate::flow::{tcp_flags_u16, TcpTracker, MAX_CLOSED};
use crate::source::{CaptureReader, SourceError, Timestamp};

/// The counting pass with nothing to filter or dissect: no [`Packet`],
/// only the TCP segments ([`decode::tcp_segment`]) and the flow table.
/// Frame numbers and times are `Analyzer::process`'s.
///
/// [`Packet`]: crate::model::Packet
pub fn count_capture(
    reader: &mut CaptureReader,
    table: &mut ConversationTable,
) -> Result<(), SourceError> {
    // Each connection's row lives in the flow table, next to its state.
    let mut tcp: TcpTracker<Conversation> = TcpTracker::without_analysis();
    tcp.limit_closed(MAX_CLOSED);
    tcp.report_forgotten(true);
    let mut number = 0u64;
    let mut first_ts: Option<Timestamp> = None;
    let outcome = loop {
        let raw = match reader.next_frame() {
            Ok(Some(raw)) => raw,
            Ok(None) => break Ok(()),
            // Damage: the rows so far are still printed.
            Err(e) => break Err(e),
        };
        number += 1;
        // The first frame with a timestamp (any frame, TCP or not) is time
        // 0; a frame without one (pcapng SPB) shows 0.
        let rel_nanos = if raw.has_ts {
            raw.ts.nanos_since(*first_ts.get_or_insert(raw.ts)) as i64
        } else {
            0
        };
        let Some(seg) = decode::tcp_segment(raw.link_type, raw.data) else {
            continue;
        };
        let (src, dst) = seg.endpoints();
        let (meta, row) = tcp.track_with(number, raw.ts, src, dst, &seg.tcp);
        row.add(&Segment {
            frame: number,
            rel_nanos,
            orig_len: raw.orig_len,
            v6: seg.v6,
            src,
            dst,
            flags: tcp_flags_u16(&seg.tcp),
            payload_len: seg.tcp.payload().len(),
            stream: meta.stream,
            completeness: meta.completeness_after,
            requests: 0,
        });
        tcp.drain_forgotten(|_, row| table.push_finished(&row));
    };
    tcp.drain_all(|_, row| table.push_finished(&row));
    outcome
}
