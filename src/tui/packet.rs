//! One frame's details and bytes, on demand: the frame's TCP stream is read
//! back by offset ([`FrameSource`]) and run through an analyser of its own
//! ([`Analyzer::for_stream`]) with the numbers and times of the whole pass,
//! so the `-V` tree is the one `coffeeshark read -V` prints (TCP analysis
//! and reassembly are per stream). The analyser is kept: moving forward in
//! the same stream continues it instead of starting again.

use super::index::{Index, NO_STREAM};
use crate::model::follow::{Followed, Follower};
use crate::model::tree::{self, Tree};
use crate::model::FrameInfo;
use crate::pipeline::Analyzer;
use crate::source::random::{FrameSource, OwnedFrame};
use crate::source::{SourceError, Timestamp};
use std::sync::Arc;

/// A frame ready to show.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub number: u64,
    pub tree: Tree,
    pub bytes: Vec<u8>,
}

/// A stream's analyser, positioned after frame `last`.
struct Continuation {
    stream: u32,
    last: u64,
    analyzer: Analyzer,
}

pub struct PacketLoader {
    index: Arc<Index>,
    source: FrameSource,
    continuation: Option<Continuation>,
}

/// One piece of a followed stream, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowPiece {
    Data {
        server: bool,
        frame: u64,
        data: Vec<u8>,
    },
    Gap {
        server: bool,
        frame: u64,
        missing: u32,
    },
}

/// A followed stream: its ends and pieces in order.
#[derive(Debug, Clone, Default)]
pub struct FollowedStream {
    pub stream: u32,
    pub node0: String,
    pub node1: String,
    pub pieces: Vec<FollowPiece>,
}

impl PacketLoader {
    pub fn new(index: Arc<Index>) -> Result<Self, SourceError> {
        let source = FrameSource::open(&index.path, index.header_log.clone())?;
        Ok(PacketLoader {
            index,
            source,
            continuation: None,
        })
    }

    /// The frames of `stream` up to frame `upto` (1-based), and their offsets.
    fn stream_frames(&self, stream: u32, upto: u64) -> (Vec<(u64, u64)>, Option<Timestamp>) {
        let d = self.index.lock();
        let end = (upto as usize).min(d.streams.len());
        let start = d
            .stream_starts
            .get(stream as usize)
            .map_or(end, |s| (s as usize).min(end));
        let frames = d
            .streams
            .range(start, end)
            .filter(|&(_, s)| s == stream)
            .filter_map(|(i, _)| Some((i as u64 + 1, d.offsets.get(i)?)))
            .collect();
        (frames, d.first_ts)
    }

    /// Frame `number`'s facts, its times from the first frame's and the
    /// previous frame's timestamps as the pass's clock had them.
    fn frame_info(
        raw: &OwnedFrame,
        number: u64,
        first: Option<Timestamp>,
        prev: Option<Timestamp>,
    ) -> FrameInfo {
        let since = |t: Option<Timestamp>| match (raw.has_ts, t) {
            (true, Some(t)) => raw.ts.nanos_since(t),
            _ => 0,
        };
        FrameInfo::of(&raw.raw(), number, since(first), since(prev))
    }

    /// The timestamp of the frame before `number` with one, as the pass's
    /// clock kept it for `frame.time_delta`.
    fn previous_ts(&mut self, number: u64) -> Option<Timestamp> {
        let offsets: Vec<u64> = {
            let d = self.index.lock();
            let end = (number as usize).saturating_sub(1).min(d.offsets.len());
            (end.saturating_sub(8)..end)
                .filter_map(|i| d.offsets.get(i))
                .collect()
        };
        for off in offsets.iter().rev() {
            if let Ok(f) = self.source.read(*off) {
                if f.has_ts {
                    return Some(f.ts);
                }
            }
        }
        None
    }

    /// Frame `number`'s tree and bytes.
    pub fn load(&mut self, number: u64) -> Result<Loaded, SourceError> {
        let (stream, offset) = {
            let d = self.index.lock();
            let i = number.checked_sub(1).map(|i| i as usize);
            match i.and_then(|i| Some((d.streams.get(i)?, d.offsets.get(i)?))) {
                Some(x) => x,
                None => {
                    return Err(SourceError::Malformed {
                        offset: 0,
                        detail: format!("no frame {number}"),
                    })
                }
            }
        };
        let prev_ts = self.previous_ts(number);
        if stream == NO_STREAM {
            let raw = self.source.read(offset)?;
            let first = self.index.lock().first_ts;
            let info = Self::frame_info(&raw, number, first, prev_ts);
            let mut analyzer = Analyzer::with_decode_as(self.index.decode_as.clone())
                .with_keylog(self.index.keylog.clone());
            let pkt = analyzer.process_as(&raw.raw(), info);
            return Ok(Loaded {
                number,
                tree: tree::build(&pkt),
                bytes: raw.data.clone(),
            });
        }
        let (frames, first) = self.stream_frames(stream, number);
        // Continue the stream's analyser when it stopped before this frame.
        let mut cont = match self.continuation.take() {
            Some(c) if c.stream == stream && c.last < number => c,
            _ => Continuation {
                stream,
                last: 0,
                analyzer: Analyzer::for_stream(stream, self.index.decode_as.clone())
                    .with_keylog(self.index.keylog.clone()),
            },
        };
        let mut result = None;
        let after = cont.last;
        for (n, off) in frames.into_iter().filter(|(n, _)| *n > after) {
            let raw = self.source.read(off)?;
            let prev = if n == number { prev_ts } else { None };
            let info = Self::frame_info(&raw, n, first, prev);
            let pkt = cont.analyzer.process_as(&raw.raw(), info);
            cont.last = n;
            if n == number {
                result = Some(Loaded {
                    number,
                    tree: tree::build(&pkt),
                    bytes: raw.data.clone(),
                });
            }
        }
        self.continuation = Some(cont);
        result.ok_or(SourceError::Malformed {
            offset,
            detail: format!("frame {number} could not be read back"),
        })
    }

    /// The frames of `streams` in capture order, each through its stream's
    /// own analyser (the diagram pane's arrows).
    pub fn replay(
        &mut self,
        streams: &[u32],
        mut job: impl FnMut(&crate::model::Packet<'_>),
    ) -> Result<(), SourceError> {
        let total = self.index.lock().frames() as u64;
        let mut frames = Vec::new();
        let mut first = None;
        for (i, &s) in streams.iter().enumerate() {
            let (f, ts) = self.stream_frames(s, total);
            first = first.or(ts);
            frames.extend(f.into_iter().map(|(n, off)| (n, off, i)));
        }
        frames.sort_unstable();
        let mut analyzers: Vec<Analyzer> = streams
            .iter()
            .map(|&s| {
                Analyzer::for_stream(s, self.index.decode_as.clone())
                    .with_keylog(self.index.keylog.clone())
            })
            .collect();
        for (n, off, i) in frames {
            let raw = self.source.read(off)?;
            let info = Self::frame_info(&raw, n, first, None);
            job(&analyzers[i].process_as(&raw.raw(), info));
        }
        Ok(())
    }

    /// TCP ports of frame `number` (source, destination).
    pub fn ports(&mut self, number: u64) -> Option<(u16, u16)> {
        let off = self
            .index
            .lock()
            .offsets
            .get(number.checked_sub(1)? as usize)?;
        let raw = self.source.read(off).ok()?;
        let seg = crate::decode::tcp_segment(raw.link_type, &raw.data)?;
        Some((seg.tcp.source_port(), seg.tcp.destination_port()))
    }

    /// The whole of TCP stream `stream`, as `coffeeshark follow` gives it
    /// (`model::follow`).
    pub fn follow(&mut self, stream: u32) -> Result<FollowedStream, SourceError> {
        let total = self.index.lock().frames() as u64;
        let (frames, first) = self.stream_frames(stream, total);
        let mut analyzer = Analyzer::for_stream(stream, self.index.decode_as.clone())
            .with_keylog(self.index.keylog.clone());
        let mut follower = Follower::new(stream);
        let mut out = FollowedStream {
            stream,
            ..FollowedStream::default()
        };
        let mut take = |f: Followed<'_>| match f {
            Followed::Header(h) => {
                out.node0 = h.node0.clone();
                out.node1 = h.node1.clone();
            }
            Followed::Chunk(crate::model::follow::Chunk::Data {
                server,
                frame,
                data,
            }) => out.pieces.push(FollowPiece::Data {
                server,
                frame,
                data: data.to_vec(),
            }),
            Followed::Chunk(crate::model::follow::Chunk::Gap {
                server,
                frame,
                missing,
            }) => out.pieces.push(FollowPiece::Gap {
                server,
                frame,
                missing,
            }),
        };
        for (n, off) in frames {
            let raw = self.source.read(off)?;
            let info = Self::frame_info(&raw, n, first, None);
            let pkt = analyzer.process_as(&raw.raw(), info);
            follower.push(&pkt, &mut take);
        }
        Ok(out)
    }
}
