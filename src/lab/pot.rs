//! The coffee pot: an HTCPCP server on tokio.
//!
//! One request per connection, as the lab's pot does (the captures depend on
//! it): read one request, answer, close. Around that, the limits a server on
//! a shared network needs:
//!
//! - a request (head and body) over [`MAX_REQUEST`] bytes gets 413 and the
//!   connection is closed;
//! - the whole request must arrive within `read_timeout` (default 10 s), so a
//!   client that sends nothing or trickles bytes gets 408 and is cut off;
//! - a malformed start line or header line gets 400, and so do the
//!   request-smuggling shapes: `Content-Length` with `Transfer-Encoding`,
//!   two lengths that disagree, a length that is not plain digits; a
//!   `Transfer-Encoding` alone gets 501 (the pot decodes none);
//! - at most `max_connections` connections are open at once ([`Slots`]):
//!   when all are taken, the idle connection (no whole request yet) accepted
//!   longest ago is closed to make room, so silent or trickling clients
//!   cannot lock others out; only when every connection is busy do new ones
//!   wait in the kernel's accept queue (backlog 4096). Running out of
//!   descriptors evicts an idle connection the same way.
//!
//! A body is delimited by `Content-Length` when the request has one; the
//! lab's web app sends none, so without it the body is what arrived with the
//! head, or, when nothing did, what arrives within [`BODY_GRACE`].
//!
//! State changes (BREW, WHEN) go through [`DataDir`] under one lock on a
//! blocking thread, so fsyncs never stall the connection tasks.

use super::clock::{lab_date, whole_seconds};
use super::htcpcp::{
    self, find_head_end, parse_head, validate, BrewAction, Command, Head, Status, BEANS,
};
use super::log::Log;
use super::slots::{Slot, Slots};
use super::state::{BeanInfo, BrewRecord, DataDir};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Largest request (head + body) the pot reads; larger ones get 413.
pub const MAX_REQUEST: usize = 64 * 1024;

/// How long the pot waits for a body that did not come with the head of a
/// request without `Content-Length`.
pub const BODY_GRACE: Duration = Duration::from_millis(100);

/// How the pot is set up.
#[derive(Debug, Clone)]
pub struct PotConfig {
    /// Address to listen on (port 0 = an ephemeral port).
    pub addr: SocketAddr,
    /// Where the current brew and the history live.
    pub data_dir: PathBuf,
    /// How long a brew takes (the lab: 30 s).
    pub brew_time: Duration,
    /// How long a client has to send its whole request.
    pub read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    pub log: Log,
}

impl PotConfig {
    /// The lab's defaults (port 5030 on every interface, 30 s brews, 10 s
    /// timeout), with the given data directory.
    pub fn new(data_dir: PathBuf) -> PotConfig {
        PotConfig {
            addr: SocketAddr::from(([0, 0, 0, 0], super::POT_PORT)),
            data_dir,
            brew_time: Duration::from_secs(30),
            read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            log: Log::off(),
        }
    }
}

/// The brew in progress (or finished but not replaced), with exact times.
struct Current {
    record: BrewRecord,
    ends_at: SystemTime,
    has_milk: bool,
}

struct PotState {
    data: DataDir,
    current: Option<Current>,
    brews: u64,
}

struct Shared {
    state: Mutex<PotState>,
    brew_time: Duration,
    read_timeout: Duration,
    log: Log,
}

/// A bound pot, not yet serving.
pub struct Pot {
    listener: TcpListener,
    shared: Arc<Shared>,
    max_connections: usize,
}

/// A pot serving in a background task.
pub struct PotHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl PotHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets open connections finish, and returns.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.task.await.map_err(io::Error::other)?
    }
}

/// Binds a listener with a deep accept queue (thousands of clients connect at once).
pub(crate) fn bind_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

impl Pot {
    /// Opens the data directory (forgetting the current brew) and binds.
    pub async fn bind(cfg: PotConfig) -> io::Result<Pot> {
        let dir = cfg.data_dir.clone();
        let (data, brews) = tokio::task::spawn_blocking(move || DataDir::open(&dir))
            .await
            .map_err(io::Error::other)??;
        let listener = bind_listener(cfg.addr)?;
        Ok(Pot {
            listener,
            shared: Arc::new(Shared {
                state: Mutex::new(PotState {
                    data,
                    current: None,
                    brews,
                }),
                brew_time: cfg.brew_time,
                read_timeout: cfg.read_timeout,
                log: cfg.log,
            }),
            max_connections: cfg.max_connections.max(1),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Number of brews in the history when the pot started.
    pub fn brews_in_history(&self) -> u64 {
        self.shared.state.lock().expect("pot state").brews
    }

    /// Serves until `shutdown` completes, then waits (at most the read
    /// timeout plus a second) for open connections to finish.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let slots = Slots::new(self.max_connections);
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                _ = &mut shutdown => break,
                a = self.listener.accept() => a,
            };
            match accepted {
                Ok((stream, peer)) => {
                    // Accepted first, then given a slot: an idle connection
                    // is evicted only when a newcomer is really there.
                    let slot = tokio::select! {
                        _ = &mut shutdown => break,
                        s = slots.admit() => s,
                    };
                    let shared = self.shared.clone();
                    tokio::spawn(async move {
                        serve_connection(stream, peer, &shared, slot).await;
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: free one held by
                    // an idle client if there is one, else wait; never die.
                    self.shared.log.line(format_args!("accept failed: {e}"));
                    let pause = if slots.evict_idle() { 5 } else { 50 };
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }
        }
        drop(self.listener);
        let grace = self.shared.read_timeout + Duration::from_secs(1);
        let _ = tokio::time::timeout(grace, slots.all_free()).await;
        Ok(())
    }

    /// Serves in a background task on the current runtime.
    pub fn spawn(self) -> io::Result<PotHandle> {
        let addr = self.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(self.run(async move {
            let _ = rx.await;
        }));
        Ok(PotHandle {
            addr,
            stop: Some(tx),
            task,
        })
    }
}

/// Binds and serves in the background: `pot::start(cfg).await?.addr()`.
pub async fn start(cfg: PotConfig) -> io::Result<PotHandle> {
    Pot::bind(cfg).await?.spawn()
}

/// Why reading a request stopped short.
enum ReadError {
    /// The client closed or reset before sending anything: nothing to answer.
    Gone,
    TooLarge,
    Malformed,
    /// A `Transfer-Encoding` the pot cannot decode (it decodes none).
    UnknownCoding,
}

/// Reads more of a request into `buf`, growing it 4 KiB at a time: an idle
/// connection costs about 1 KiB, and none holds much beyond [`MAX_REQUEST`].
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    if buf.len() == buf.capacity() {
        buf.reserve_exact(4096);
    }
    stream.read_buf(buf).await
}

/// Reads one request: head, then the body (see the module doc).
async fn read_request(stream: &mut TcpStream) -> Result<(Head, Vec<u8>), ReadError> {
    let mut buf = Vec::with_capacity(1024);
    let (head_len, body_start) = loop {
        if let Some(end) = find_head_end(&buf) {
            break end;
        }
        if buf.len() > MAX_REQUEST {
            return Err(ReadError::TooLarge);
        }
        let n = read_more(stream, &mut buf)
            .await
            .map_err(|_| ReadError::Gone)?;
        if n == 0 {
            if buf.is_empty() {
                return Err(ReadError::Gone);
            }
            // Closed without a blank line: a head that ends with a line end still counts.
            if buf.ends_with(b"\n") {
                let len = buf.len();
                break (len, len);
            }
            return Err(ReadError::Malformed);
        }
    };
    let head = parse_head(&buf[..head_len]).ok_or(ReadError::Malformed)?;
    if head.has_transfer_encoding() {
        // Both framings at once is the request-smuggling pair: refused
        // (RFC 9112, 6.3). A coding alone is one the pot does not know (6.1).
        return Err(match head.header("Content-Length") {
            Some(_) => ReadError::Malformed,
            None => ReadError::UnknownCoding,
        });
    }
    match head.content_length() {
        Err(_) => Err(ReadError::Malformed),
        Ok(Some(len)) => {
            if body_start.saturating_add(len) > MAX_REQUEST {
                return Err(ReadError::TooLarge);
            }
            while buf.len() < body_start + len {
                let n = read_more(stream, &mut buf)
                    .await
                    .map_err(|_| ReadError::Malformed)?;
                if n == 0 {
                    return Err(ReadError::Malformed);
                }
            }
            let body = buf[body_start..body_start + len].to_vec();
            Ok((head, body))
        }
        Ok(None) => {
            let wants_body = head.method == "BREW" || head.method == "POST";
            if buf.len() == body_start && wants_body {
                let _ = tokio::time::timeout(BODY_GRACE, read_more(stream, &mut buf)).await;
            }
            if buf.len() > MAX_REQUEST {
                return Err(ReadError::TooLarge);
            }
            let body = buf[body_start.min(buf.len())..].to_vec();
            Ok((head, body))
        }
    }
}

/// One response, ready to send.
struct Response {
    status: Status,
    content_type: &'static str,
    body: String,
}

impl Response {
    fn json(body: String) -> Response {
        Response {
            status: Status::Ok,
            content_type: htcpcp::RESPONSE_MEDIA_TYPE,
            body,
        }
    }

    fn error(status: Status, body: impl Into<String>) -> Response {
        let body = body.into();
        let content_type = if body.starts_with('[') {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        Response {
            status,
            content_type,
            body,
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "HTCPCP/1.1 {} {}\r\nServer: {}\r\nContent-Type: {}\r\nDate: {}\r\nContent-Length: {}\r\n\r\n",
            self.status.code(),
            self.status.reason(),
            htcpcp::SERVER,
            self.content_type,
            lab_date(SystemTime::now()),
            self.body.len()
        )
        .into_bytes();
        out.extend_from_slice(self.body.as_bytes());
        out
    }
}

async fn serve_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
    mut slot: Slot,
) {
    let _ = stream.set_nodelay(true);
    let read = tokio::select! {
        r = tokio::time::timeout(shared.read_timeout, read_request(&mut stream)) => r,
        // Evicted for a newcomer before a whole request came: just close.
        _ = slot.evicted() => return,
    };
    slot.busy();
    let (line, response) = match read {
        Err(_) => (
            "(timed out)".to_string(),
            Response::error(Status::RequestTimeout, "Request not received in time"),
        ),
        Ok(Err(ReadError::Gone)) => return,
        Ok(Err(ReadError::TooLarge)) => (
            "(too large)".to_string(),
            Response::error(Status::PayloadTooLarge, "Request larger than 64 KiB"),
        ),
        Ok(Err(ReadError::Malformed)) => (
            "(malformed)".to_string(),
            Response::error(Status::BadRequest, "Malformed request"),
        ),
        Ok(Err(ReadError::UnknownCoding)) => (
            "(transfer coding)".to_string(),
            Response::error(Status::NotImplemented, "Transfer-Encoding is not supported"),
        ),
        Ok(Ok((head, body))) => {
            let line = format!("{} {} {}", head.method, head.uri, head.version);
            (line, handle(&head, &body, shared).await)
        }
    };
    shared.log.line(format_args!(
        "{peer} \"{line}\" {} {}",
        response.status.code(),
        response.status.reason()
    ));
    let bytes = response.to_bytes();
    let write = async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    };
    if tokio::time::timeout(shared.read_timeout, write)
        .await
        .is_err()
    {
        return;
    }
    if response.status != Status::Ok {
        // The client may still be sending (an oversized body, a trickle):
        // closing with unread data would reset the connection and could
        // destroy the response before the client reads it. Drain a little.
        let deadline = Instant::now() + Duration::from_millis(500);
        // On the heap, and only now: a buffer in the task's state would
        // cost every waiting connection 8 KiB.
        let mut sink = vec![0u8; 8192];
        let mut drained = 0usize;
        while drained < 1 << 20 {
            match tokio::time::timeout_at(deadline.into(), stream.read(&mut sink)).await {
                Ok(Ok(n)) if n > 0 => drained += n,
                _ => break,
            }
        }
    }
}

async fn handle(head: &Head, body: &[u8], shared: &Arc<Shared>) -> Response {
    let command = match validate(head, body) {
        Ok(c) => c,
        Err(r) => return Response::error(r.status, r.body),
    };
    let shared2 = shared.clone();
    let run = move || -> io::Result<Response> { execute(command, &shared2) };
    match command_needs_disk(head) {
        true => match tokio::task::spawn_blocking(run).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => internal_error(shared, e),
            Err(e) => internal_error(shared, io::Error::other(e)),
        },
        false => run().unwrap_or_else(|e| internal_error(shared, e)),
    }
}

fn command_needs_disk(head: &Head) -> bool {
    matches!(head.method.as_str(), "BREW" | "POST" | "WHEN")
}

fn internal_error(shared: &Shared, e: io::Error) -> Response {
    shared.log.line(format_args!("state not saved: {e}"));
    // Not one of the lab's codes, but the honest answer when the disk fails.
    Response {
        status: Status::ServerError,
        content_type: "text/plain; charset=utf-8",
        body: "The pot could not save its state".into(),
    }
}

fn json_or_empty<T: serde::Serialize>(v: Option<&T>) -> String {
    match v {
        Some(v) => serde_json::to_string(v).expect("records serialise"),
        None => "{}".into(),
    }
}

fn execute(command: Command, shared: &Shared) -> io::Result<Response> {
    let mut st = shared.state.lock().unwrap_or_else(|p| p.into_inner());
    let now = SystemTime::now();
    match command {
        Command::Get => Ok(Response::json(json_or_empty(
            st.current.as_ref().map(|c| &c.record),
        ))),
        Command::Propfind => Ok(Response::json(json_or_empty(
            st.current.as_ref().map(|c| &c.record.coffee_bean),
        ))),
        Command::When => {
            let st = &mut *st;
            if let Some(cur) = st.current.as_mut() {
                if cur.has_milk && now >= cur.ends_at && !cur.record.pour_milk_stop {
                    cur.record.pour_milk_stop = true;
                    st.data.write_current(Some(&cur.record))?;
                }
            }
            Ok(Response::json(json_or_empty(
                st.current.as_ref().map(|c| &c.record),
            )))
        }
        Command::Brew {
            action: BrewAction::Stop,
            ..
        } => {
            st.data.write_current(None)?;
            st.current = None;
            Ok(Response::json("{}".into()))
        }
        Command::Brew {
            action: BrewAction::Start,
            additions,
        } => {
            if st.current.as_ref().is_some_and(|c| now < c.ends_at) {
                return Ok(Response::error(Status::NotAcceptable, "Pot is busy"));
            }
            let ends_at = now + shared.brew_time;
            let has_milk = additions.iter().any(|a| htcpcp::is_milk(a));
            // Rounded up: the pot is never busy after the time it announces.
            let end = lab_date(whole_seconds(ends_at + Duration::from_nanos(999_999_999)));
            let record = BrewRecord {
                date: lab_date(now),
                beverage_type: "Coffee".into(),
                additions,
                brew_time_end: end.clone(),
                pour_milk_start: if has_milk { end } else { String::new() },
                pour_milk_stop: false,
                coffee_bean: BeanInfo::from(&BEANS[fastrand::usize(..BEANS.len())]),
            };
            st.data.append_history(&record)?;
            st.brews += 1;
            st.data.write_current(Some(&record))?;
            let body = serde_json::to_string(&record).expect("records serialise");
            st.current = Some(Current {
                record,
                ends_at,
                has_milk,
            });
            Ok(Response::json(body))
        }
    }
}
