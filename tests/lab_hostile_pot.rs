//! The coffee pot (`coffeeshark pot`, a child process on 127.0.0.1) under
//! hostile clients: huge header lines, 10,000 headers, slowloris writers and
//! slow readers, thousands of silent or half-sent connections, malformed and
//! binary start lines, random blobs, request smuggling pairs, 100 BREWs at
//! once. Each attack gets a bounded, correct answer or a close; a normal
//! client keeps being served meanwhile (its latency is printed, and bounded
//! well below the attack's timeouts); the pot's memory stays bounded (sampled
//! from `/proc`). `cargo test --test lab_hostile_pot -- --nocapture` prints
//! the figures (`HOSTILE` lines). The SIGKILL case is `tests/lab_kill.rs`
//! (the pot alone) and `tests/lab_hostile_web.rs` (behind the web app).
#![cfg(all(feature = "lab", target_os = "linux"))]

#[path = "lab_support/hostile.rs"]
mod hostile;
mod lab_support;

use coffeeshark::lab::state::{read_history, HISTORY_FILE};
use hostile::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The attacks run one at a time: their latency figures mean something only
/// when they do not compete with each other for the machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A normal request must be answered within this, during any attack: far
/// below the read timeout the attackers are held to, so a normal client
/// that waited behind them would fail.
const NORMAL_LIMIT: Duration = Duration::from_millis(1500);

/// The pot's resident memory must stay under this during every attack.
const MAX_RSS_KIB: u64 = 128 * 1024;

fn get() -> String {
    format!("GET coffee://ducky HTTP/1.1\r\n{CT}\r\n")
}

/// Runs `attack` against a pot while a normal client uses it; checks the
/// normal client and the memory, prints the figures.
async fn under_attack<F, Fut>(name: &str, read_timeout: f64, attack: F)
where
    F: FnOnce(std::net::SocketAddr, Arc<Server>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let pot = Arc::new(Server::pot(dir.path(), 30.0, read_timeout));
    let before = pot.rss_kib();
    let mem = MemSampler::start(pot.pid());
    let prober = Prober::pot(pot.addr);
    let (t0, cpu0) = (Instant::now(), pot.cpu_secs());
    attack(pot.addr, pot.clone()).await;
    let took = t0.elapsed();
    let normal = prober.stop().await;
    let peak = mem.stop();
    report(
        "pot",
        name,
        format_args!(
            "{normal}; RSS {before} KiB before, peak {peak} KiB; attack {:.1} s, server CPU {:.2} s",
            took.as_secs_f64(),
            pot.cpu_secs() - cpu0
        ),
    );
    assert!(
        normal.failures.is_empty(),
        "{name}: normal clients failed: {:?}",
        &normal.failures[..normal.failures.len().min(5)]
    );
    assert!(normal.requests > 0, "{name}: the normal client ran");
    assert!(
        normal.max < NORMAL_LIMIT,
        "{name}: a normal request took {:?}",
        normal.max
    );
    assert!(peak < MAX_RSS_KIB, "{name}: pot RSS reached {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_lines_of_1_and_64_mib_get_413_after_a_bounded_read() {
    let _one = ONE_AT_A_TIME.lock().await;
    for mib in [1usize, 64] {
        under_attack(
            &format!("{mib} MiB header line"),
            10.0,
            move |addr, _| async move {
                let head = format!("GET coffee://ducky HTTP/1.1\r\n{CT}X-Long: ");
                let (sent, answer) = flood(
                    addr,
                    head.as_bytes(),
                    b'a',
                    mib << 20,
                    Duration::from_secs(10),
                )
                .await;
                report(
                    "pot",
                    &format!("{mib} MiB header line"),
                    format_args!(
                        "answer {}, client could send {sent} bytes",
                        status_of(&answer)
                    ),
                );
                assert_eq!(status_of(&answer), 413);
                // What left the client bounds what the pot read.
                assert!(sent <= 3 << 20, "the pot took {sent} bytes");
            },
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_headers() {
    let _one = ONE_AT_A_TIME.lock().await;
    under_attack("10,000 headers", 10.0, move |addr, _| async move {
        // 10,000 short fields fit the 64 KiB limit: a valid GET, answered.
        let short: String = (0..10_000).map(|i| format!("x:{}\r\n", i % 10)).collect();
        assert!(short.len() < 64 * 1024);
        let req = format!("GET coffee://ducky HTTP/1.1\r\n{CT}{short}\r\n");
        assert_eq!(
            status_of(&exchange(addr, req.as_bytes()).await.unwrap()),
            200
        );
        // 10,000 ordinary ones do not: 413.
        let long: String = (0..10_000)
            .map(|i| format!("X-Header-{i}: value\r\n"))
            .collect();
        let req = format!("GET coffee://ducky HTTP/1.1\r\n{CT}{long}\r\n");
        let (_, answer) = flood(
            addr,
            req.as_bytes(),
            b'\n',
            req.len(),
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(status_of(&answer), 413);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_writers_and_slow_readers_are_cut_off() {
    let _one = ONE_AT_A_TIME.lock().await;
    const TIMEOUT: f64 = 2.0;
    under_attack(
        "slowloris x200 + slow readers x500",
        TIMEOUT,
        move |addr, pot| async move {
            let fds_before = pot.open_fds();
            // 200 writers, one byte a second, of a request that would take a minute.
            let writers: Vec<_> = (0..200)
                .map(|_| {
                    slowloris_writer(
                        addr,
                        format!(
                            "GET coffee://ducky HTTP/1.1\r\n{CT}X-Slow: {}\r\n\r\n",
                            "z".repeat(40)
                        ),
                    )
                })
                .collect();
            // 500 readers that send a whole request and never read the answer.
            let mut readers = Vec::new();
            for _ in 0..500 {
                let mut s = TcpStream::connect(addr).await.expect("connect");
                s.write_all(get().as_bytes()).await.expect("send");
                readers.push(s);
            }
            for w in writers {
                let (closed, answer, took) = w.await.unwrap();
                assert!(closed, "a slowloris connection was never closed");
                assert_eq!(status_of(&answer), 408);
                assert!(
                    took < Duration::from_secs_f64(TIMEOUT + 3.0),
                    "cut off after {took:?}"
                );
            }
            // The pot answered the readers and let go of their connections
            // (none waits on them): its descriptors are back near the start.
            let deadline = Instant::now() + Duration::from_secs(5);
            while pot.open_fds() > fds_before + 20 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(
                pot.open_fds() <= fds_before + 20,
                "the pot holds {} fds",
                pot.open_fds()
            );
            for mut s in readers {
                let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(2)).await;
                assert!(closed);
                assert_eq!(status_of(&answer), 200);
            }
        },
    )
    .await;
}

/// As many silent connections as the descriptor limit allows, up to 5,000
/// (each needs one descriptor here and one in the pot).
fn silent_count() -> usize {
    let limit = raise_fd_limit(16_384) as usize;
    limit.saturating_sub(512).min(5_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_silent_connections() {
    let _one = ONE_AT_A_TIME.lock().await;
    let n = silent_count();
    assert!(
        n >= 1_000,
        "the descriptor limit allows only {n} connections"
    );
    const TIMEOUT: f64 = 3.0;
    under_attack(
        &format!("{n} silent connections"),
        TIMEOUT,
        move |addr, pot| async move {
            let mut conns = Vec::with_capacity(n);
            for _ in 0..n {
                conns.push(TcpStream::connect(addr).await.expect("connect"));
            }
            report(
                "pot",
                "silent connections",
                format_args!("{n} open, pot has {} fds", pot.open_fds()),
            );
            // Every one of them gets 408 when its time is up, and is closed.
            let t0 = Instant::now();
            let mut timed_out = 0;
            for s in &mut conns {
                let (answer, closed) = read_until_closed(s, Duration::from_secs(10)).await;
                assert!(
                    closed,
                    "a silent connection is still open after {:?}",
                    t0.elapsed()
                );
                if status_of(&answer) == 408 {
                    timed_out += 1;
                }
            }
            assert_eq!(timed_out, n);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_half_sent_requests() {
    let _one = ONE_AT_A_TIME.lock().await;
    raise_fd_limit(4_096);
    const TIMEOUT: f64 = 2.0;
    under_attack("1,000 half-sent requests", TIMEOUT, move |addr, _| async move {
        let mut conns = Vec::new();
        for i in 0..1_000 {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            // Cut at a different place each time: in the start line, a header, the blank line.
            let whole = format!("BREW coffee://ducky HTTP/1.1\r\n{CT}Accept-Additions: cream\r\nContent-Length: 5\r\n\r\nsta");
            let cut = 1 + i % (whole.len() - 1);
            s.write_all(&whole.as_bytes()[..cut]).await.expect("send");
            conns.push(s);
        }
        for s in &mut conns {
            let (answer, closed) = read_until_closed(s, Duration::from_secs(10)).await;
            assert!(closed);
            assert_eq!(status_of(&answer), 408);
        }
    })
    .await;
}

/// Start lines the pot must refuse with 400.
const MALFORMED: &[&[u8]] = &[
    b"\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET coffee://ducky\r\n\r\n",
    b"GET  coffee://ducky HTTP/1.1\r\n\r\n",
    b"GET coffee://ducky HTTP/1.1 extra\r\n\r\n",
    b"GET coffee://ducky HTTP/x.y\r\n\r\n",
    b"GET coffee://ducky HTTP/1.1234\r\n\r\n",
    b"GET coffee://du\x00cky HTTP/1.1\r\n\r\n",
    b"GET coffee://ducky\tHTTP/1.1\r\n\r\n",
    b"G\xc3\xa9T coffee://ducky HTTP/1.1\r\n\r\n",
    b"\xff\xfe\x00\x01 coffee://ducky HTTP/1.1\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    b"GET coffee://ducky HTTP/1.1\r\nno colon here\r\n\r\n",
    b"GET coffee://ducky HTTP/1.1\r\nbad name: x\r\n\r\n",
    b"GET coffee://ducky HTTP/1.1\r\n: empty name\r\n\r\n",
    b"GET coffee://ducky HTTP/1.1\r\nContent-Length: x\r\n\r\n",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_binary_and_random_start_lines_get_400() {
    let _one = ONE_AT_A_TIME.lock().await;
    under_attack(
        "malformed start lines + 600 random blobs",
        10.0,
        move |addr, _| async move {
            for bad in MALFORMED {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(bad).await.unwrap();
                s.shutdown().await.unwrap();
                let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
                assert!(closed);
                assert_eq!(
                    status_of(&answer),
                    400,
                    "{:?}",
                    String::from_utf8_lossy(bad)
                );
            }
            // 600 blobs of random bytes (a fixed seed: the same blobs every run),
            // the write side closed after each so that the pot sees the end.
            let mut rng = fastrand::Rng::with_seed(21);
            for i in 0..600 {
                let len = rng.usize(1..4096);
                let blob: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
                let mut s = TcpStream::connect(addr).await.unwrap();
                let _ = s.write_all(&blob).await;
                let _ = s.shutdown().await;
                let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
                assert!(closed);
                assert_eq!(status_of(&answer), 400, "blob {i}");
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_smuggling_pairs_are_refused() {
    let _one = ONE_AT_A_TIME.lock().await;
    under_attack("request smuggling", 10.0, move |addr, _| async move {
        let brew = format!("BREW coffee://ducky HTTP/1.1\r\n{CT}");
        // Two framings at once: refused, whatever their order (RFC 9112, 6.3).
        for framing in [
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            "Content-Length: 5\r\nTransfer-Encoding: identity\r\n",
            // Two lengths that disagree, and lengths that are not 1*DIGIT.
            "Content-Length: 5\r\nContent-Length: 4\r\n",
            "Content-Length: +5\r\n",
            "Content-Length: 5, 4\r\n",
            "Content-Length: 0x5\r\n",
        ] {
            // Read by Content-Length alone, the body is a valid "start".
            let req = format!("{brew}{framing}\r\nstart");
            let answer = exchange(addr, req.as_bytes()).await.unwrap();
            assert_eq!(status_of(&answer), 400, "{framing:?}");
        }
        // A transfer coding alone: the pot knows none (501, RFC 9112, 6.1).
        let req = format!("{brew}Transfer-Encoding: chunked\r\n\r\n5\r\nstart\r\n0\r\n\r\n");
        assert_eq!(
            status_of(&exchange(addr, req.as_bytes()).await.unwrap()),
            501
        );
        // A second request after the declared body is never answered: one
        // request per connection, so exactly one response.
        let req =
            format!("{brew}Content-Length: 4\r\n\r\nstop{brew}Content-Length: 5\r\n\r\nstart");
        let answer = exchange(addr, req.as_bytes()).await.unwrap();
        let text = String::from_utf8_lossy(&answer);
        assert_eq!(text.matches("HTCPCP/1.1 ").count(), 1, "{text}");
        assert_eq!(status_of(&answer), 200);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_a_hundred_simultaneous_brews_wins() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let pot = Server::pot(dir.path(), 30.0, 10.0);
    let req = format!("BREW coffee://ducky HTTP/1.1\r\n{CT}Content-Length: 5\r\n\r\nstart");
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (addr, req) = (pot.addr, req.clone());
            tokio::spawn(async move { exchange(addr, req.as_bytes()).await })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(status_of(&t.await.unwrap().expect("answered")));
    }
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 406).count(), 99, "{codes:?}");
    let (history, bad) = read_history(&dir.path().join(HISTORY_FILE)).unwrap();
    assert_eq!((history.len(), bad), (1, 0));
}

/// More silent clients than the pot has slots: the idle connections
/// accepted first give way (closed without an answer), and a normal client
/// is served at once instead of waiting for the read timeout. (In process,
/// with 200 slots instead of 10,000, so that the test stays small.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_clients_beyond_the_slots_give_way() {
    let _one = ONE_AT_A_TIME.lock().await;
    raise_fd_limit(4_096);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg =
        lab_support::pot_config(dir.path(), Duration::from_secs(30), Duration::from_secs(10));
    cfg.max_connections = 200;
    let pot = coffeeshark::lab::pot::start(cfg).await.unwrap();
    let addr = pot.addr();
    let mut silent = Vec::new();
    for _ in 0..300 {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    let t0 = Instant::now();
    let answer = exchange(addr, get().as_bytes()).await.unwrap();
    let waited = t0.elapsed();
    report(
        "pot",
        "300 silent clients, 200 slots",
        format_args!("a normal GET waited {:.1} ms", waited.as_secs_f64() * 1e3),
    );
    assert_eq!(status_of(&answer), 200);
    assert!(waited < NORMAL_LIMIT, "a normal client waited {waited:?}");
    // The 101 accepted first were closed to make room, without an answer
    // (the 300th and the GET took their slots); the others still wait.
    let mut closed = 0;
    for s in &mut silent[..101] {
        let (answer, was_closed) = read_until_closed(s, Duration::from_secs(2)).await;
        assert!(answer.is_empty());
        closed += usize::from(was_closed);
    }
    assert_eq!(closed, 101);
    for i in [101, 299] {
        let (_, closed) = read_until_closed(&mut silent[i], Duration::from_millis(200)).await;
        assert!(!closed, "silent client {i} was closed too");
    }
    drop(silent);
    pot.shutdown().await.unwrap();
}
