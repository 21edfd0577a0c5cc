//! The report's one pass over a capture: every frame through the
//! [`Analyzer`] into a [`Collector`]. Shared by `coffeeshark report` /
//! `diagram` and the TUI's answers pane (which reads a live capture's
//! snapshot).

use super::roles::LabRoles;
use super::{Collector, Facts, Limits, Selection};
use crate::filter::values::PacketFields;
use crate::filter::Filter;
use crate::pipeline::threads;
use crate::source::CaptureReader;
use std::convert::Infallible;

/// Reads `reader` to its end into [`Facts`]; `selection` says which
/// segments become arrows (`None`: no diagram), `filter` which packets may,
/// `roles` which ports are the web app's and the pot's (from
/// `roles::detect` over the same capture, or `LabRoles::default()`).
/// Returns the facts and the reader's error, if the capture is damaged
/// (what came before it is kept).
///
/// The pass runs on the threads of `read` and `http`
/// ([`crate::pipeline::threads`]): reading and TCP, the application layer,
/// and this collector each on their own, with the same packets as
/// [`crate::pipeline::Analyzer`] would build.
pub fn collect(
    reader: CaptureReader,
    filter: Option<&Filter>,
    limits: Limits,
    selection: Option<Selection>,
    keylog: Option<std::sync::Arc<crate::dissect::tls::KeyLog>>,
    roles: LabRoles,
) -> (Facts, Option<String>) {
    let options = threads::Options {
        keylog,
        // TCP sequence analysis only labels arrows (`[Retransmission]`).
        tcp_analysis: selection.is_some(),
        // The lab's bad-scheme test (`GET caffeine://ducky`) is HTCPCP on
        // the pot's port wherever the pot is.
        pot_port: Some(roles.pot.port),
        // The TLS tally reads the Protocol column (the record's version).
        columns: true,
        ..threads::Options::default()
    };
    let mut collector = Collector::with_roles(limits, selection, roles);
    let outcome = threads::run(reader, options, |pkt| -> Result<(), Infallible> {
        let shown = filter.map_or(true, |f| f.matches_fields(&PacketFields::new(pkt)));
        collector.add(pkt, shown);
        Ok(())
    });
    let err = match outcome {
        Ok(o) => o.error.map(|e| e.to_string()),
        Err(never) => match never {},
    };
    (collector.finish(), err)
}
