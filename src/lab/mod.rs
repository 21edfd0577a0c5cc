//! The reference lab: the coffee pot (HTCPCP server) and the web app of the
//! coffee-pot lab (`../shared/LAB.md`), finished and hardened, so that there is
//! real traffic to capture on loopback.
//!
//! ```text
//! browser ──HTTP──> webapp (axum, :5031) ──HTCPCP, one TCP connection per request──> pot (:5030)
//!                      │                                                          │
//!                      └──── reads past_coffees.json ────── data dir ──── writes ─┘
//! ```
//!
//! - [`htcpcp`]: the protocol as the lab speaks it — schemes, additions, milks,
//!   beans, status codes, request parsing and validation. Pure, no I/O.
//! - [`state`]: the pot's data directory (current brew, history), written
//!   atomically.
//! - [`pot`]: the HTCPCP server (tokio): bounded requests, timeouts, one
//!   request per connection.
//! - [`slots`]: connection slots shared by both servers: a cap on open
//!   connections where idle ones give way to newcomers.
//! - [`client`]: the HTCPCP client the web app (and the tests) use.
//! - [`form`]: the web app's form → HTCPCP request (pure; fuzzed).
//! - [`webapp`]: the web app (axum + minijinja templates compiled in, embedded
//!   assets with ETag/Last-Modified revalidation).
//! - [`clock`]: the lab's date format and HTTP dates.
//! - [`log`]: prefixed, optionally coloured log lines for `coffeeshark lab`.

pub mod client;
pub mod clock;
pub mod form;
pub mod htcpcp;
pub mod log;
pub mod pot;
pub mod slots;
pub mod state;
pub mod tls;
pub mod visit;
pub mod webapp;

/// Default TCP port of the pot (the lab's `COFFEE_SERVER_PORT`).
pub const POT_PORT: u16 = 5030;
/// Default TCP port of the web app (the lab's `WEBSERVER_PORT`).
pub const WEBAPP_PORT: u16 = 5031;
