//! `coffeeshark report`: every task's answers (their JSON `facts`) against
//! facts the test computes on its own, from tshark's fields and from the
//! raw TCP payload bytes (tshark has no HTCPCP dissector: the pot's
//! messages are parsed here from `tcp.payload`), or from how a fixture was
//! built; plain "not answerable" where a capture cannot answer; exact
//! counts with bounded citations on a big generated capture, and a
//! collector whose memory does not follow the file.
//!
//! One test binary in parts: [`common`] (the helpers), [`network`] (Tasks 1
//! and 3), [`messages`] (Tasks 4 to 8), [`roles`], [`big`].

#[path = "../support/mod.rs"]
mod support;

#[path = "../../benches/support/generator.rs"]
#[allow(dead_code, clippy::all)]
mod generator;

mod big;
mod common;
mod messages;
mod network;
mod roles;
