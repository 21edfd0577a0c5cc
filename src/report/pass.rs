//! The report's one pass over a capture: every frame through the
//! [`Analyzer`] into a [`Collector`]. Shared by `coffeeshark report` /
//! `diagram` and the TUI's answers pane (which reads a live capture's
//! snapshot).

use super::roles::LabRoles;
use super::{Collector, Facts, Limits, Selection};
use crate::filter::values::PacketFields;
use crate::filter::Filter;
use crate::pipeline::Analyzer;
use crate::source::CaptureReader;

/// Reads `reader` to its end into [`Facts`]; `selection` says which
/// segments become arrows (`None`: no diagram), `filter` which packets may,
/// `roles` which ports are the web app's and the pot's (from
/// `roles::detect` over the same capture, or `LabRoles::default()`).
/// Returns the facts and the reader's error, if the capture is damaged
/// (what came before it is kept).
pub fn collect(
    reader: &mut CaptureReader,
    filter: Option<&Filter>,
    limits: Limits,
    selection: Option<Selection>,
    keylog: Option<std::sync::Arc<crate::dissect::tls::KeyLog>>,
    roles: LabRoles,
) -> (Facts, Option<String>) {
    // TCP sequence analysis only labels arrows (`[Retransmission]`).
    let mut analyzer = if selection.is_some() {
        Analyzer::new()
    } else {
        Analyzer::messages_without_tcp_analysis(Vec::new())
    }
    .with_keylog(keylog)
    // The lab's bad-scheme test (`GET caffeine://ducky`) is HTCPCP on the
    // pot's port wherever the pot is.
    .with_pot_port(roles.pot.port);
    let mut collector = Collector::with_roles(limits, selection, roles);
    let err = loop {
        match reader.next_frame() {
            Ok(Some(raw)) => {
                let pkt = analyzer.process(&raw);
                let shown = filter.map_or(true, |f| f.matches_fields(&PacketFields::new(&pkt)));
                collector.add(&pkt, shown);
            }
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        }
    };
    (collector.finish(), err)
}
