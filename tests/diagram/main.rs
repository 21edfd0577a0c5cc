//! `coffeeshark diagram`: the SVG parses as XML and holds one arrow per
//! segment, of the kind and between the lanes the fixture was built with
//! (or that tshark reports for the sample capture); handshakes are
//! bracketed with their frames; pauses compressed; `--hide-acks`,
//! `--streams`, `-Y` and `--role`; text, Mermaid, PlantUML and mscgen;
//! and headless Chromium draws the lanes and arrows.
//!
//! One test binary in parts: [`common`] (the fixture and the SVG reader),
//! [`svg`], [`formats`], [`real`] (tshark and Chromium).

#[path = "../support/chromium.rs"]
mod chromium;
#[path = "../support/mod.rs"]
mod support;

mod common;
mod formats;
mod real;
mod svg;
