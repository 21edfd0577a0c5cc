//! Views: pure renderers over the model. The CLI (and later the TUI) call
//! these; none of them reads a file or keeps state across packets.

pub mod conv;
pub mod details;
pub mod diagram;
pub mod ek;
pub mod follow;
pub mod hex;
pub mod http;
pub mod json;
pub mod layer_filter;
pub mod list;
pub mod pdml;
pub mod psml;
pub mod report;
pub mod selected;
pub mod stats;
pub mod time_format;
