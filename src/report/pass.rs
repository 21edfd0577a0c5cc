//! The report's one pass over a capture: every frame through the
//! [`Analyzer`] into a [`Collector`]. Shared by `coffeeshark report` /
//! `diagram` and the TUI's answers pane (which reads a live capture's
//! snapshot).

use super::roles::{self, Detector, LabRoles};
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
    collect_observed(reader, filter, limits, selection, keylog, roles, None)
}

/// The frames (at most so many, of at most so many bytes) the roles are
/// first guessed from ([`collect_detecting`]): a lab capture is whole in
/// them; on a big capture they cost a millisecond or two.
const GUESS: (u64, u64) = (20_000, 4 << 20);

/// [`collect`] with the roles found in the capture itself
/// ([`roles::detect`]; `web` / `pot` are the flags), in one pass where a
/// separate detection pass would read the file twice: the roles are
/// guessed from the first frames ([`GUESS`]), the pass runs with the
/// guess while the detector reads every frame, and if the whole capture
/// decides other ports the pass is run again with them (the facts are
/// always those of the roles of the whole capture). `open` opens the
/// capture again for each read (a file, or the TUI's snapshot).
pub fn collect_detecting<E>(
    open: impl Fn() -> Result<CaptureReader, E>,
    filter: Option<&Filter>,
    limits: Limits,
    selection: Option<Selection>,
    keylog: Option<std::sync::Arc<crate::dissect::tls::KeyLog>>,
    ports: (Option<u16>, Option<u16>),
) -> Result<(Facts, Option<String>), E> {
    collect_guessing(open, filter, limits, selection, keylog, ports, GUESS)
}

/// [`collect_detecting`] with the guess read from `guess` (frames, bytes).
fn collect_guessing<E>(
    open: impl Fn() -> Result<CaptureReader, E>,
    filter: Option<&Filter>,
    limits: Limits,
    selection: Option<Selection>,
    keylog: Option<std::sync::Arc<crate::dissect::tls::KeyLog>>,
    (web, pot): (Option<u16>, Option<u16>),
    guess: (u64, u64),
) -> Result<(Facts, Option<String>), E> {
    let guess = roles::detect_first(&mut open()?, web, pot, guess);
    let mut detector = Detector::new();
    let (mut facts, err) = collect_observed(
        open()?,
        filter,
        limits,
        selection.clone(),
        keylog.clone(),
        guess,
        Some(&mut detector),
    );
    let found = detector.decide(web, pot);
    if found.same_ports(&facts.roles) {
        facts.roles = found;
        return Ok((facts, err));
    }
    Ok(collect(open()?, filter, limits, selection, keylog, found))
}

/// The pass; `detector`, if given, sees every frame.
fn collect_observed(
    reader: CaptureReader,
    filter: Option<&Filter>,
    limits: Limits,
    selection: Option<Selection>,
    keylog: Option<std::sync::Arc<crate::dissect::tls::KeyLog>>,
    roles: LabRoles,
    mut detector: Option<&mut Detector>,
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
        if let Some(d) = detector.as_mut() {
            d.add(pkt.frame.link_type, pkt.decoded.data);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::answers::{self, TASKS};
    use std::path::Path;

    /// The report of the roles' separate pass followed by the report's pass.
    fn two_passes(path: &Path) -> String {
        let roles = roles::detect(&mut CaptureReader::open(path).unwrap(), None, None);
        let (facts, _) = collect(
            CaptureReader::open(path).unwrap(),
            None,
            Limits::default(),
            None,
            None,
            roles,
        );
        crate::view::report::json(&answers::answer(&facts, "x", &TASKS))
    }

    /// Whatever the guess, right (the whole capture) or wrong (no frame, or
    /// too few to see the pot), the one pass reports what two passes do.
    #[test]
    fn a_wrong_guess_is_corrected_by_a_second_pass() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for name in [
            "tests/captures/roles/lab_moved.pcapng",
            "tests/captures/roles/lone_http.pcapng",
            "sample_capture/coffee_brew.pcapng",
        ] {
            let path = root.join(name);
            let expected = two_passes(&path);
            for guess in [
                (0, 0),
                (5, u64::MAX),
                (40, u64::MAX),
                (u64::MAX, 2000),
                GUESS,
            ] {
                let open = || CaptureReader::open(&path);
                let (facts, _) = collect_guessing(
                    open,
                    None,
                    Limits::default(),
                    None,
                    None,
                    (None, None),
                    guess,
                )
                .unwrap();
                let got = crate::view::report::json(&answers::answer(&facts, "x", &TASKS));
                assert_eq!(got, expected, "{name}, guess from {guess:?}");
            }
        }
    }
}
