//! Errors of capture sources: each says what is wrong and, where it applies,
//! the byte offset (in the decompressed stream) of the damaged record.

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file could not be opened at all.
    #[error("The file \"{path}\" could not be opened: {error}")]
    Open { path: String, error: std::io::Error },
    /// The content is neither pcap nor pcapng (nor gzip of either).
    #[error("the file is not a capture file in a format coffeeshark understands (pcap, pcapng, or either gzip-compressed); it looks like {looks_like}")]
    NotACapture { looks_like: String },
    /// The file ends inside a record.
    #[error("the capture file appears to have been cut short in the middle of a packet (offset {offset})")]
    Truncated { offset: u64 },
    /// A record is internally inconsistent.
    #[error("the capture file appears to be damaged or corrupt (offset {offset}): {detail}")]
    Malformed { offset: u64, detail: String },
    /// Reading failed below us (I/O or decompression).
    #[error("an error occurred while reading the capture (offset {offset}): {detail}")]
    Read { offset: u64, detail: String },
}
