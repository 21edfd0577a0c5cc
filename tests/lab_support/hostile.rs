//! Tools for the hostile-client tests (`tests/lab_hostile_*.rs`): the lab
//! servers as child processes (the real binary, so that their memory and the
//! bytes they read can be measured from `/proc`), a "normal client" that keeps
//! using a server during an attack and records its latency, and a sampler of
//! the server's resident memory.
//!
//! Everything is bounded: every child is killed (by its own handle) when its
//! [`Server`] is dropped, every loop has a count and a deadline.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const CT: &str = "Content-Type: application/coffee-pot-command\r\n";

/// A lab server run as `coffeeshark pot|webapp` on 127.0.0.1, port 0.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// `coffeeshark pot` with the given brew time and read timeout (seconds).
    pub fn pot(dir: &Path, brew_time: f64, read_timeout: f64) -> Server {
        Server::pot_on(0, dir, brew_time, read_timeout)
    }

    /// The same on a given port (0 = any): a restarted pot takes its old one.
    pub fn pot_on(port: u16, dir: &Path, brew_time: f64, read_timeout: f64) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffeeshark"));
        cmd.args(["pot", "--local", "--port"])
            .arg(port.to_string())
            .arg("--brew-time")
            .arg(brew_time.to_string())
            .arg("--read-timeout")
            .arg(read_timeout.to_string())
            .arg("--data-dir")
            .arg(dir);
        Server::spawn(cmd)
    }

    /// `coffeeshark webapp` talking to `pot`, with the given timeout (seconds).
    pub fn webapp(dir: &Path, pot: SocketAddr, timeout: f64, keep_alive: bool) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffeeshark"));
        cmd.args(["webapp", "--local", "--port", "0", "--pot"])
            .arg(pot.to_string())
            .arg("--timeout")
            .arg(timeout.to_string())
            .arg("--data-dir")
            .arg(dir);
        if keep_alive {
            cmd.arg("--keep-alive");
        }
        Server::spawn(cmd)
    }

    fn spawn(mut cmd: Command) -> Server {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn coffeeshark");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the server prints its address");
        let addr = line
            .split_whitespace()
            .find_map(|w| w.trim_end_matches(',').parse::<SocketAddr>().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server { child, addr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        proc_status(self.pid(), "VmRSS:")
    }

    /// Peak resident memory since start, KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        proc_status(self.pid(), "VmHWM:")
    }

    /// CPU time the process has used so far (user + system), seconds.
    pub fn cpu_secs(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // The fields after the command name (which is in parentheses).
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        // utime and stime are fields 14 and 15 of the line: 11 and 12 here.
        let ticks = f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0);
        ticks as f64 / 100.0
    }

    /// Open file descriptors of the server (sockets included).
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL (the process we started, by its handle) and reap it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn proc_status(pid: u32, key: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Raises this process's soft limit on open files towards `want` (children
/// inherit it); returns the limit in force.
pub fn raise_fd_limit(want: u64) -> u64 {
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < want {
            lim.rlim_cur = want.min(lim.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
        lim.rlim_cur
    }
}

/// Samples a server's resident memory every 20 ms on a thread until stopped.
pub struct MemSampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl MemSampler {
    pub fn start(pid: u32) -> MemSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut max = 0;
            // Bounded: at most 10 minutes of samples.
            for _ in 0..30_000 {
                max = max.max(proc_status(pid, "VmRSS:"));
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            max
        });
        MemSampler { stop, thread }
    }

    /// The largest RSS seen, KiB.
    pub fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("sampler")
    }
}

/// What the normal client saw during an attack.
#[derive(Debug, Clone)]
pub struct Latency {
    /// Requests made, and those that did not get the expected answer.
    pub requests: usize,
    pub failures: Vec<String>,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} normal requests, {} failed, latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.requests,
            self.failures.len(),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.max.as_secs_f64() * 1e3
        )
    }
}

/// A normal client: one request every `every`, each on a new connection,
/// until stopped; every answer must start with `expect` within `limit`.
pub struct Prober {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Latency>,
}

impl Prober {
    pub fn start(
        addr: SocketAddr,
        request: String,
        expect: &'static [&'static str],
        every: Duration,
        limit: Duration,
    ) -> Prober {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut times = Vec::new();
            let mut failures = Vec::new();
            // Bounded: at most 2,000 requests.
            for _ in 0..2_000 {
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                let t0 = Instant::now();
                match tokio::time::timeout(limit, exchange(addr, request.as_bytes())).await {
                    Ok(Ok(resp)) if expect.iter().any(|e| resp.starts_with(e.as_bytes())) => {}
                    Ok(Ok(resp)) => failures.push(format!(
                        "answer {:?}",
                        String::from_utf8_lossy(&resp[..resp.len().min(60)])
                    )),
                    Ok(Err(e)) => failures.push(format!("error {e}")),
                    Err(_) => failures.push(format!("no answer within {limit:?}")),
                }
                times.push(t0.elapsed());

                tokio::time::sleep(every).await;
            }
            times.sort();
            let at = |q: f64| {
                times
                    .get(((times.len() as f64 - 1.0) * q).round() as usize)
                    .copied()
                    .unwrap_or_default()
            };
            Latency {
                requests: times.len(),
                failures,
                p50: at(0.5),
                p99: at(0.99),
                max: times.last().copied().unwrap_or_default(),
            }
        });
        Prober { stop, task }
    }

    /// A normal HTCPCP client of the pot (GET, 200).
    pub fn pot(addr: SocketAddr) -> Prober {
        Prober::start(
            addr,
            format!("GET coffee://ducky HTTP/1.1\r\n{CT}\r\n"),
            &["HTCPCP/1.1 200 "],
            Duration::from_millis(20),
            Duration::from_secs(5),
        )
    }

    /// A normal browser of the web app (the home page, which asks the pot).
    pub fn browser(addr: SocketAddr) -> Prober {
        Prober::start(
            addr,
            format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
            &["HTTP/1.1 200 "],
            Duration::from_millis(20),
            Duration::from_secs(5),
        )
    }

    pub async fn stop(self) -> Latency {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("prober")
    }
}

/// One request on a new connection; the whole answer (read until close).
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(request).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    Ok(out)
}

/// Reads until the server closes or `limit` passes: the bytes, and whether
/// it closed (a reset counts as closed).
pub async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + limit;
    // Bounded by the deadline and by 16 MiB of answer.
    while out.len() < 16 << 20 {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return (out, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    (out, false)
}

/// Writes `total` bytes of `head` then filler as fast as the server takes
/// them, while reading its answer; stops at the answer's end, an error or
/// `limit`. Returns (bytes written, answer).
///
/// The client's send buffer is kept small (16 KiB, no autotuning), so the
/// bytes written are what left the client: what the server read, plus at
/// most its receive buffer, plus 16 KiB. An upper bound on what it read.
pub async fn flood(
    addr: SocketAddr,
    head: &[u8],
    filler: u8,
    total: usize,
    limit: Duration,
) -> (usize, Vec<u8>) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_send_buffer_size(16 * 1024).expect("SO_SNDBUF");
    let s = socket.connect(addr).await.expect("connect");
    let (mut rd, mut wr) = s.into_split();
    let head = head.to_vec();
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    let writer = tokio::spawn(async move {
        if wr.write_all(&head).await.is_err() {
            return;
        }
        counter.fetch_add(head.len(), Ordering::Relaxed);
        let chunk = vec![filler; 64 * 1024];
        let mut done = head.len();
        while done < total {
            let n = chunk.len().min(total - done);
            if wr.write_all(&chunk[..n]).await.is_err() {
                return;
            }
            done += n;
            counter.fetch_add(n, Ordering::Relaxed);
        }
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(limit, rd.read_to_end(&mut answer)).await;
    // The answer is in (or the server is gone, or the time is up): stop writing.
    writer.abort();
    let _ = writer.await;
    (sent.load(Ordering::Relaxed), answer)
}

/// The status code of an HTTP or HTCPCP answer; 0 when the server closed
/// without one.
pub fn status_of(answer: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(&answer[..answer.len().min(40)]).into_owned();
    if text.is_empty() {
        return 0;
    }
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

/// Prints a figure line that `--nocapture` shows (the README's figures).
pub fn report(server: &str, attack: &str, what: impl std::fmt::Display) {
    eprintln!("HOSTILE {server} | {attack} | {what}");
}

/// A slowloris writer: connects to `addr` and sends `request` one byte a
/// second (aborted once the answer comes), reading the answer for at most
/// 8 s. Returns whether the read ended in time, the answer and the time taken.
pub fn slowloris_writer(
    addr: SocketAddr,
    request: String,
) -> tokio::task::JoinHandle<(bool, Vec<u8>, Duration)> {
    tokio::spawn(async move {
        let t0 = Instant::now();
        let s = TcpStream::connect(addr).await.expect("connect");
        let (mut rd, mut wr) = s.into_split();
        let trickle = tokio::spawn(async move {
            for b in request.bytes() {
                if wr.write_all(&[b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let mut answer = Vec::new();
        let r = tokio::time::timeout(Duration::from_secs(8), rd.read_to_end(&mut answer)).await;
        trickle.abort();
        (r.is_ok(), answer, t0.elapsed())
    })
}
