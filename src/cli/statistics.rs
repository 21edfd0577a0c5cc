//! tshark's `-z` statistics on `read` (`coffeeshark -r FILE -q -z ...`):
//! the spellings, their checks and errors, and the dispatch of every packet
//! of `read`'s one pass to each statistic.
//!
//! As in tshark 4.0: a statistic sees every packet read (`-Y` decides what
//! is printed, not what is counted), unless it has a filter of its own
//! (`-z io,phs,tcp.port==80`), which is its tap filter; the blocks come
//! after the packet list (alone with `-q`), the last `-z` first; an unknown
//! `-z` lists the known ones. The counting lives in
//! `coffeeshark::model::stats`, the printing in `coffeeshark::view::stats`.
//!
//! Differences from tshark, on purpose: every error exits with status 2
//! (tshark uses 1, 10 for some `io,stat` errors, and goes on without the
//! statistic when a stats tree's filter is bad); `io,stat,1.0` works
//! (tshark 4.0 crashes when the interval has decimals and no column
//! follows); addresses are never resolved (tshark's `-n`).

use coffeeshark::dissect::Protocol;
use coffeeshark::filter::fields::{self, FieldId, Ftype};
use coffeeshark::filter::values::{FieldRef, PacketFields, Val};
use coffeeshark::filter::Filter;
use coffeeshark::model::conversations::ConversationTable;
use coffeeshark::model::follow::{Followed, Follower, TlsFollower};
use coffeeshark::model::stats::conv::{Conversations, Endpoints, Layer};
use coffeeshark::model::stats::expert::{Expert, Severity};
use coffeeshark::model::stats::http::{self, HttpStat, LoadDistribution, PacketCounter, Requests};
use coffeeshark::model::stats::io_stat::{self, Calc, Column, IoStat, Kind, Value};
use coffeeshark::model::stats::phs::Hierarchy;
use coffeeshark::model::Packet;
use coffeeshark::view::follow::{Format, Header, Renderer};
use coffeeshark::view::stats as render;
use std::collections::HashSet;
use std::process::ExitCode;

/// Every `-z` `read` accepts, as the unknown-`-z` message lists them.
const KNOWN: &[&str] = &[
    "conv,eth",
    "conv,ip",
    "conv,ipv6",
    "conv,tcp",
    "conv,udp",
    "endpoints,eth",
    "endpoints,ip",
    "endpoints,ipv6",
    "endpoints,tcp",
    "endpoints,udp",
    "expert",
    "follow,tcp",
    "follow,tls",
    "htcpcp,tree",
    "http,stat",
    "http,tree",
    "http_req,tree",
    "http_srv,tree",
    "io,phs",
    "io,stat",
];

/// The `-z` statistics of one run.
#[derive(Default)]
pub(crate) struct Statistics {
    stats: Vec<Stat>,
    /// Fields a filter of the run names: the only ones whose values
    /// `io,stat`'s calculations see (tshark's tree keeps no other).
    visible: HashSet<FieldId>,
}

struct Stat {
    /// Its tap filter (`-z io,phs,FILTER`), and the text.
    filter: Option<Filter>,
    filter_text: Option<String>,
    kind: Tally,
}

enum Tally {
    ConvTcp(Box<ConversationTable>),
    Conv(Conversations),
    Endpoints(Endpoints),
    Phs(Hierarchy),
    IoStat(Box<IoStat>, Vec<IoColumn>),
    HttpTree(PacketCounter),
    HttpReq(Requests),
    HttpSrv(LoadDistribution),
    HttpStat(Box<HttpStat>),
    HtcpcpTree(PacketCounter),
    Expert(Box<Expert>),
    Follow(Box<FollowStat>),
}

/// Makes a stats tree's tally.
type MakeTree = fn() -> Tally;

/// An `io,stat` column's filter and field.
struct IoColumn {
    filter: Option<Filter>,
    field: Option<FieldRef>,
}

/// `follow,tcp|tls,MODE,N` in the one pass: its output kept until the end.
struct FollowStat {
    tcp: Option<Follower>,
    tls: Option<TlsFollower>,
    stream: u32,
    renderer: Renderer,
    text: String,
}

/// A `-z` that cannot be used: the message (printed after `coffeeshark: `).
type Refusal = String;

impl Statistics {
    /// Parses and checks every `-z`; a refusal is printed and becomes exit
    /// status 2, before the file is read. `display_filter` is `-Y`'s.
    pub(crate) fn parse(
        specs: &[String],
        display_filter: Option<&Filter>,
    ) -> Result<Statistics, ExitCode> {
        let mut s = Statistics::default();
        for z in specs {
            match parse_one(z) {
                Ok(stat) => s.stats.push(stat),
                Err(message) => {
                    eprintln!("coffeeshark: {message}");
                    return Err(ExitCode::from(2));
                }
            }
        }
        let mut visible: HashSet<FieldId> = HashSet::new();
        let mut see = |f: &Filter| visible.extend(f.fields().iter().copied());
        if let Some(f) = display_filter {
            see(f);
        }
        for st in &s.stats {
            if let Some(f) = &st.filter {
                see(f);
            }
            if let Tally::IoStat(_, cols) = &st.kind {
                for f in cols.iter().filter_map(|c| c.filter.as_ref()) {
                    see(f);
                }
            }
        }
        s.visible = visible;
        Ok(s)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.stats.is_empty()
    }

    /// Every packet of the pass, before `-Y`.
    pub(crate) fn packet(&mut self, pkt: &Packet<'_>, pf: &PacketFields<'_, '_>) {
        let visible = &self.visible;
        for st in &mut self.stats {
            if let Tally::IoStat(io, cols) = &mut st.kind {
                io.frame(pkt.frame.rel_nanos);
                for (j, c) in cols.iter().enumerate() {
                    if c.filter.as_ref().is_some_and(|f| !f.matches_fields(pf)) {
                        continue;
                    }
                    let mut values = Vec::new();
                    if let Some(field) = c.field.filter(|f| visible.contains(&f.id)) {
                        pf.each(field, &mut |v| {
                            values.push(match v {
                                Val::Int(i) => Value::Int(i),
                                Val::Time(t) => Value::Time(t),
                                _ => Value::Other,
                            });
                            false
                        });
                    }
                    io.add(j, pkt.frame.rel_nanos, pkt.frame.orig_len, &values);
                }
                continue;
            }
            if st.filter.as_ref().is_some_and(|f| !f.matches_fields(pf)) {
                continue;
            }
            match &mut st.kind {
                Tally::ConvTcp(t) => t.add(pkt),
                Tally::Conv(t) => t.add(pkt),
                Tally::Endpoints(t) => t.add(pkt),
                Tally::Phs(h) => h.add(pkt),
                Tally::HttpTree(t) => http::events(pkt, Protocol::Http, |e| t.add(&e)),
                Tally::HttpReq(t) => http::events(pkt, Protocol::Http, |e| t.add(&e)),
                Tally::HttpSrv(t) => http::events(pkt, Protocol::Http, |e| t.add(&e)),
                Tally::HttpStat(t) => http::events(pkt, Protocol::Http, |e| t.add(&e)),
                Tally::HtcpcpTree(t) => http::events(pkt, Protocol::Htcpcp, |e| t.add(&e)),
                Tally::Expert(e) => e.add(pkt),
                Tally::Follow(f) => f.push(pkt),
                Tally::IoStat(..) => {}
            }
        }
    }

    /// The blocks, the last `-z` first (tshark's order).
    pub(crate) fn finish(self) -> String {
        let mut out = String::new();
        for st in self.stats.into_iter().rev() {
            let filter = st.filter_text.as_deref();
            match st.kind {
                Tally::ConvTcp(t) => {
                    let rows = t.finish();
                    let mut buf = Vec::new();
                    coffeeshark::view::conv::tshark_header(&mut buf, filter);
                    rows.for_each_by_frames(|c| coffeeshark::view::conv::tshark_row(&mut buf, c));
                    coffeeshark::view::conv::tshark_footer(&mut buf);
                    out.push_str(&String::from_utf8_lossy(&buf));
                }
                Tally::Conv(t) => render::conv::conversations(&mut out, &t, filter),
                Tally::Endpoints(t) => render::conv::endpoints(&mut out, &t, filter),
                Tally::Phs(h) => render::phs::write(&mut out, &h, filter),
                Tally::IoStat(io, _) => render::io_stat::write(&mut out, &io),
                Tally::HttpTree(t) | Tally::HtcpcpTree(t) => {
                    render::stats_tree::write(&mut out, &t.tree)
                }
                Tally::HttpReq(t) => render::stats_tree::write(&mut out, &t.tree),
                Tally::HttpSrv(t) => render::stats_tree::write(&mut out, &t.tree),
                Tally::HttpStat(t) => render::http::write(&mut out, &t, filter),
                Tally::Expert(e) => render::expert::write(&mut out, &e),
                Tally::Follow(f) => out.push_str(&(*f).finish()),
            }
        }
        out
    }
}

impl FollowStat {
    fn push(&mut self, pkt: &Packet<'_>) {
        let (r, text) = (&mut self.renderer, &mut self.text);
        let mut show = |f: Followed<'_>| match f {
            Followed::Header(h) => r.header(text, h),
            Followed::Chunk(c) => r.chunk(text, c),
        };
        if let Some(t) = &mut self.tcp {
            t.push(pkt, &mut show);
        } else if let Some(t) = &mut self.tls {
            t.push(pkt, &mut show);
        }
    }

    fn finish(mut self) -> String {
        let (r, text) = (&mut self.renderer, &mut self.text);
        if let Some(t) = &mut self.tls {
            t.finish(&mut |f| match f {
                Followed::Header(h) => r.header(text, h),
                Followed::Chunk(c) => r.chunk(text, c),
            });
        }
        if self.tcp.as_ref().is_some_and(|t| !t.started()) {
            // tshark prints a stream it never saw with empty nodes.
            r.header(
                text,
                &Header {
                    stream: self.stream,
                    node0: ":0".into(),
                    node1: ":0".into(),
                },
            );
        }
        r.footer(text);
        self.text
    }
}

/// The message tshark gives an unknown `-z`.
fn unknown(z: &str) -> Refusal {
    let mut m = format!("Invalid -z argument \"{z}\"; it must be one of:");
    for k in KNOWN {
        m.push_str("\n     ");
        m.push_str(k);
    }
    m
}

/// Compiles a tap filter; `what` is tshark's prefix for the error.
fn tap_filter(text: &str, what: &str) -> Result<Filter, Refusal> {
    Filter::compile(text)
        .map_err(|e| format!("{what}: Filter \"{text}\" is invalid - {}", e.message))
}

/// `NAME` or `NAME,FILTER` after a fixed prefix: the filter, if any.
fn rest<'a>(z: &'a str, prefix: &str) -> Option<Option<&'a str>> {
    let tail = z.strip_prefix(prefix)?;
    if tail.is_empty() {
        Some(None)
    } else {
        tail.strip_prefix(',').map(Some)
    }
}

fn parse_one(z: &str) -> Result<Stat, Refusal> {
    let plain = |kind| Stat {
        filter: None,
        filter_text: None,
        kind,
    };
    let filtered = |kind, filter: Option<&str>, what: &str| -> Result<Stat, Refusal> {
        // An empty filter keeps every packet (its text is still shown).
        Ok(Stat {
            filter: filter
                .filter(|f| !f.is_empty())
                .map(|f| tap_filter(f, what))
                .transpose()?,
            filter_text: filter.map(str::to_string),
            kind,
        })
    };
    if z.starts_with("follow,") {
        return parse_follow(z).map(|f| plain(Tally::Follow(Box::new(f))));
    }
    if z.starts_with("io,stat") {
        return parse_io_stat(z).map(|(io, cols)| plain(Tally::IoStat(Box::new(io), cols)));
    }
    for (prefix, conv) in [("conv,", true), ("endpoints,", false)] {
        let Some(tail) = z.strip_prefix(prefix) else {
            continue;
        };
        let (name, filter) = match tail.split_once(',') {
            Some((n, f)) => (n, Some(f)),
            None => (tail, None),
        };
        let layer = Layer::parse(name).ok_or_else(|| unknown(z))?;
        let kind = match (conv, layer) {
            (true, Layer::Tcp) => Tally::ConvTcp(Box::default()),
            (true, l) => Tally::Conv(Conversations::new(l)),
            (false, l) => Tally::Endpoints(Endpoints::new(l)),
        };
        let what = if conv {
            "Couldn't register conversations tap"
        } else {
            "Couldn't register endpoint tap"
        };
        return filtered(kind, filter, what);
    }
    if let Some(f) = rest(z, "io,phs") {
        return filtered(
            Tally::Phs(Hierarchy::default()),
            f,
            "Couldn't register io,phs tap",
        );
    }
    if let Some(f) = rest(z, "http,stat") {
        return filtered(
            Tally::HttpStat(Box::default()),
            f,
            "Couldn't register http,stat tap",
        );
    }
    let trees: [(&str, &str, MakeTree); 4] = [
        ("http,tree", "HTTP/Packet Counter", || {
            Tally::HttpTree(PacketCounter::new("HTTP"))
        }),
        ("http_req,tree", "HTTP/Requests", || {
            Tally::HttpReq(Requests::default())
        }),
        ("http_srv,tree", "HTTP/Load Distribution", || {
            Tally::HttpSrv(LoadDistribution::default())
        }),
        ("htcpcp,tree", "HTCPCP/Packet Counter", || {
            Tally::HtcpcpTree(PacketCounter::new("HTCPCP"))
        }),
    ];
    for (prefix, name, make) in trees {
        if let Some(f) = rest(z, prefix) {
            let what = format!("stats_tree for: {name} failed to attach to the tap");
            return filtered(make(), f, &what);
        }
    }
    if let Some(tail) = rest(z, "expert") {
        let mut lowest = Severity::Comment;
        let mut filter = tail;
        if let Some(t) = tail {
            let (level, after) = match t.split_once(',') {
                Some((l, a)) => (l, Some(a)),
                None => (t, None),
            };
            let known = match level.to_ascii_lowercase().as_str() {
                "error" => Some(Severity::Error),
                "warn" => Some(Severity::Warn),
                "note" => Some(Severity::Note),
                "chat" => Some(Severity::Chat),
                "comment" => Some(Severity::Comment),
                _ => None,
            };
            if let Some(l) = known {
                lowest = l;
                filter = after;
            }
        }
        return filtered(
            Tally::Expert(Box::new(Expert::new(lowest))),
            filter,
            "Expert tap error",
        );
    }
    Err(unknown(z))
}

fn parse_follow(z: &str) -> Result<FollowStat, Refusal> {
    let parts: Vec<&str> = z.splitn(4, ',').collect();
    let proto = parts.get(1).copied().unwrap_or("");
    if !matches!(proto, "tcp" | "tls") {
        return Err(unknown(z));
    }
    let format = match parts.get(2).copied() {
        Some("ascii") => Format::Ascii,
        Some("hex") => Format::Hex,
        Some("raw") => Format::Raw,
        _ => return Err("follow - Invalid display mode.".into()),
    };
    let stream = parts
        .get(3)
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| "follow - Invalid address.".to_string())?;
    let tls = proto == "tls";
    let mut renderer = Renderer::new(format);
    if tls {
        renderer = renderer.with_protocol("tls");
    }
    Ok(FollowStat {
        tcp: (!tls).then(|| Follower::new(stream)),
        tls: tls.then(|| TlsFollower::new(stream)),
        stream,
        renderer,
        text: String::new(),
    })
}

const IO_STAT_USAGE: &str = "invalid \"-z io,stat,<interval>[,<filter>][,<filter>]...\" argument";

/// `io,stat,INTERVAL[,COLUMN...]` (tshark's `iostat_init` and
/// `register_io_tap`).
fn parse_io_stat(z: &str) -> Result<(IoStat, Vec<IoColumn>), Refusal> {
    let tail = z.strip_prefix("io,stat,").ok_or_else(|| {
        if z == "io,stat" {
            IO_STAT_USAGE.to_string()
        } else {
            unknown(z)
        }
    })?;
    if z.ends_with(',') {
        return Err(IO_STAT_USAGE.into());
    }
    let (interval_text, columns_text) = match tail.split_once(',') {
        Some((i, c)) => (i, Some(c)),
        None => (tail, None),
    };
    let (interval, precision) = match io_stat::parse_interval(interval_text) {
        None => return Err(IO_STAT_USAGE.into()),
        Some(Err(m)) => return Err(m.into()),
        Some(Ok(v)) => v,
    };
    let texts: Vec<Option<String>> = match columns_text {
        None => vec![None],
        Some(c) => c
            .split(',')
            .map(|t| Some(t.trim().to_string()).filter(|t| !t.is_empty()))
            .collect(),
    };
    let mut columns = Vec::new();
    let mut taps = Vec::new();
    for text in texts {
        let (column, tap) = io_column(text)?;
        columns.push(column);
        taps.push(tap);
    }
    Ok((IoStat::new(interval, precision, columns), taps))
}

/// One `io,stat` column: `FILTER`, `FRAMES`, `BYTES`, or `CALC(field)FILTER`.
fn io_column(text: Option<String>) -> Result<(Column, IoColumn), Refusal> {
    let Some(t) = text.clone() else {
        return Ok((
            Column::new(None, Calc::FramesAndBytes, Kind::Other),
            IoColumn {
                filter: None,
                field: None,
            },
        ));
    };
    let mut calc = Calc::FramesAndBytes;
    let mut filter: String = t.clone();
    let mut field: Option<(String, FieldId)> = None;
    for (name, c) in Calc::NAMES {
        if let Some(after) = t.strip_prefix(name) {
            calc = c;
            if let Some(args) = after.strip_prefix('(') {
                let Some((inner, flt)) = args.split_once(')') else {
                    return Err("Closing parenthesis missing from calculated expression.".into());
                };
                if matches!(c, Calc::Frames | Calc::Bytes) {
                    if !inner.is_empty() {
                        return Err(format!(
                            "{name} does not require or allow a field name within the parens."
                        ));
                    }
                } else if inner.is_empty() {
                    return Err(format!("You didn't specify a field name for {name}(*)."));
                }
                filter = flt.to_string();
                if !matches!(c, Calc::Frames | Calc::Bytes) {
                    let id = fields::lookup(inner)
                        .ok_or_else(|| format!("There is no field named '{inner}'."))?;
                    field = Some((inner.to_string(), id));
                }
                break;
            }
        } else if matches!(calc, Calc::Frames | Calc::Bytes) {
            filter.clear();
        }
    }
    let mut kind = Kind::Other;
    if let Some((name, id)) = &field {
        let ft = fields::def(*id).ftype;
        kind = match ft {
            Ftype::UInt(_) | Ftype::FrameNum => Kind::Unsigned,
            Ftype::Int(b) if b <= 32 => Kind::Signed32,
            Ftype::Int(_) => Kind::Signed64,
            Ftype::RelTime => Kind::Time,
            _ => Kind::Other,
        };
        let fname = calc.name();
        match kind {
            Kind::Time if calc == Calc::Load => {}
            Kind::Time => {}
            Kind::Other if calc != Calc::Count => {
                return Err(format!(
                    "{name} doesn't have integral values, so {fname}(*) calculations are not supported on it."
                ));
            }
            _ if calc == Calc::Load => {
                return Err(
                    "LOAD() is only supported for relative-time fields such as smb.time".into(),
                );
            }
            _ => {}
        }
    }
    let compiled = if filter.is_empty() {
        None
    } else {
        Some(tap_filter(&filter, "Couldn't register io,stat tap")?)
    };
    Ok((
        Column::new(text, calc, kind),
        IoColumn {
            filter: compiled,
            field: field.map(|(_, id)| FieldRef::new(id)),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        for z in [
            "conv,ip",
            "conv,tcp,tcp.port==80",
            "endpoints,udp",
            "io,phs",
            "io,phs,http",
            "io,stat,0",
            "io,stat,0.5,http,tcp",
            "io,stat,1,COUNT(tcp.len)tcp.len>0,SUM(frame.len),FRAMES,BYTES()tcp",
            "http,tree",
            "http_req,tree,http",
            "http_srv,tree",
            "http,stat",
            "htcpcp,tree",
            "expert",
            "expert,warn",
            "expert,note,tcp",
            "follow,tcp,ascii,0",
        ] {
            assert!(parse_one(z).is_ok(), "{z}");
        }
        for (z, err) in [
            (
                "nosuch",
                "Invalid -z argument \"nosuch\"; it must be one of:",
            ),
            ("conv,foo", "Invalid -z argument \"conv,foo\""),
            ("io,stat", "invalid \"-z io,stat"),
            ("io,stat,x", "invalid \"-z io,stat"),
            ("io,stat,1,", "invalid \"-z io,stat"),
            ("io,stat,1,SUM(nosuch)", "There is no field named 'nosuch'."),
            (
                "io,stat,1,SUM(tcp.flags.syn)",
                "doesn't have integral values",
            ),
            ("io,stat,1,SUM(tcp.len", "Closing parenthesis missing"),
            (
                "io,phs,bad==",
                "Couldn't register io,phs tap: Filter \"bad==\" is invalid - ",
            ),
            ("follow,tcp,bad,0", "follow - Invalid display mode."),
        ] {
            let got = parse_one(z).err().unwrap_or_default();
            assert!(got.contains(err), "{z}: {got}");
        }
    }
}
