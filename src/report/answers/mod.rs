//! The lab's questions (Tasks 1 and 3 to 8 of the handout, `LAB.md`)
//! answered from a capture: every answer is a sentence built from what was
//! found, with the evidence (frames, streams, ports, quoted start lines and
//! headers) and, for graders, the key values as JSON. When the capture
//! cannot answer, the answer says so and `answerable` is false.
//!
//! [`Tally`] accumulates what the answers need while the collector reads
//! the capture, in memory that does not grow with it: counts, plus the
//! first [`Limits::max_cited`] items of each category (by frame or stream
//! number) in a [`Cited`]; what is beyond is counted and the answers say
//! "and K more". [`answer`] turns the tally into a [`Report`].
//!
//! Task 2 of the handout (install the lab's Wireshark dissector) is about
//! the tool, not the traffic: a capture cannot show whether a dissector is
//! installed, so there is no Task 2 here.
//!
//! Layout: `cited` (bounded lists), `tally` (the [`Tally`] and the
//! connection events), `messages` (each HTTP/HTCPCP message folded in),
//! `evidence` (shared helpers: quoting, evidence rows, `cannot`, `plural`),
//! then one module per task or family of tasks (`task1`, `task3_4`,
//! `task5`, `task6_7`, `task8`), each a pure function of the tally.

use super::{addr_text, is_asset, Connection, Limits, POT_PORT, WEBAPP_PORT};
use crate::dissect::http::{self, StartLine};
use crate::dissect::stream::{HttpPdu, Pdu};
use crate::dissect::{tls, Protocol};
use crate::model::conversations::Handshake;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub capture: String,
    pub frames: u64,
    pub tcp_streams: u64,
    /// The web app's and the pot's ports, and how they were found.
    pub roles: super::roles::LabRoles,
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub task: u8,
    pub title: String,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub question: String,
    pub answerable: bool,
    pub answer: String,
    pub evidence: Vec<Evidence>,
    /// The key values, for graders and tests.
    pub facts: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub frames: Vec<u64>,
    pub stream: Option<u32>,
    pub text: String,
}

/// The tasks this module answers.
pub const TASKS: [u8; 7] = [1, 3, 4, 5, 6, 7, 8];

/// Browser requests remembered while they wait for their answer.
const MAX_PENDING: usize = 4096;
/// Distinct names (methods, headers, TLS record kinds, addresses, ...)
/// kept per list; the rest is counted.
const MAX_NAMES: usize = 64;
/// Frames cited per name (methods, headers).
const MAX_NAME_FRAMES: usize = 100;
/// Frames cited per TLS record kind.
const MAX_KIND_FRAMES: usize = 8;
/// Client ports named in a sentence (the evidence lists the connections).
const MAX_PORTS_NAMED: usize = 12;
/// Browser requests considered as the one a pot error belongs to.
const MAX_CANDIDATES: usize = 64;

mod cited;
mod evidence;
mod messages;
mod tally;
mod task1;
mod task3_4;
mod task5;
mod task6_7;
mod task8;

use cited::*;
pub use cited::{Cited, Names};
use evidence::*;
pub use tally::Tally;
use tally::*;
use task1::*;
use task3_4::*;
use task5::*;
use task6_7::*;
use task8::*;

/// RFC 2324's header fields (section 2.2) and its two content types.
const RFC2324_HEADERS: [&str; 3] = ["accept-additions", "safe", "content-type"];
const CODES: [u16; 3] = [200, 302, 304];
const ERRORS: [u16; 2] = [406, 418];

/// Answers the given tasks (`TASKS` for all).
pub fn answer(facts: &super::Facts, capture: &str, tasks: &[u8]) -> Report {
    let t = &facts.tally;
    let tasks = tasks
        .iter()
        .filter_map(|n| match n {
            1 => Some(task1(t)),
            3 => Some(task3(t)),
            4 => Some(task4(t)),
            5 => Some(task5(t)),
            6 => Some(task6(t)),
            7 => Some(task7(t)),
            8 => Some(task8(t)),
            _ => None,
        })
        .collect();
    Report {
        capture: capture.to_string(),
        frames: facts.frames,
        tcp_streams: facts.tcp_streams,
        roles: facts.roles.clone(),
        tasks,
    }
}
