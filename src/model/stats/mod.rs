//! tshark's `-z` statistics, counted in the one pass of `read`: each
//! accumulator takes the packets it is handed (the CLI applies the
//! statistic's own filter, tshark's tap filter) and keeps only what its
//! table shows — rows per conversation, endpoint, protocol path, interval,
//! name or expert message, never per packet. The tables are printed by
//! [`crate::view::stats`].
//!
//! - `conv,eth|ip|ipv6|udp` and `endpoints,eth|ip|ipv6|tcp|udp`: [`conv`]
//!   (`conv,tcp` is [`crate::model::conversations`]);
//! - `io,phs`: [`phs`];
//! - `io,stat,INTERVAL[,COLUMN...]`: [`io_stat`];
//! - `http,tree`, `http_req,tree`, `http_srv,tree`, `http,stat`, and our
//!   `htcpcp,tree`: [`stats_tree`] and [`http`];
//! - `expert`: [`expert`];
//! - the bucket order of GLib's hash tables, which decides the order of
//!   some of tshark's rows: [`ghash`].

pub mod conv;
pub mod expert;
pub mod ghash;
pub mod http;
pub mod io_stat;
pub mod phs;
pub mod stats_tree;
