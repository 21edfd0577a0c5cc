//! `coffeeshark capture` on the real loopback interface (feature `live`).
//!
//! Each test runs the real binary with a BPF filter on its own ephemeral
//! port, makes traffic from the test itself, and bounds every wait. Capturing
//! needs root or CAP_NET_RAW/CAP_NET_ADMIN: without them the capture tests
//! skip, or fail when `COFFEESHARK_REQUIRE_LIVE` is set (as `.ci/run` does).

#![cfg(feature = "live")]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_coffeeshark");

/// Whether this process may capture on `lo`; decides skip or fail when not.
fn live_allowed(test: &str) -> bool {
    let out = Command::new(BIN)
        .args(["capture", "-i", "lo", "-q", "-a", "duration:0"])
        .output()
        .expect("run coffeeshark");
    if out.status.success() {
        return true;
    }
    let why = String::from_utf8_lossy(&out.stderr).into_owned();
    if std::env::var_os("COFFEESHARK_REQUIRE_LIVE").is_some() {
        panic!(
            "{test}: live capture is required (COFFEESHARK_REQUIRE_LIVE is set) but \
             `coffeeshark capture -i lo` fails; run as root or give the binary \
             cap_net_raw,cap_net_admin. It said:\n{why}"
        );
    }
    eprintln!("{test}: skipped, cannot capture on lo here: {why}");
    false
}

/// A running capture: its stdout and stderr are collected by threads.
struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

/// Starts `coffeeshark capture ARGS` and returns once it said it is capturing
/// (the handle is open and the filter installed: nothing sent later is missed).
fn start(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .arg("capture")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn coffeeshark capture");
    let (line_tx, line_rx) = mpsc::channel();
    let (err_tx, err_rx) = mpsc::channel();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        let mut all = String::new();
        let mut line = String::new();
        while stderr.read_line(&mut line).unwrap_or(0) > 0 {
            if line.starts_with("Capturing on") {
                let _ = line_tx.send(());
            }
            all.push_str(&line);
            line.clear();
        }
        let _ = err_tx.send(all);
    });
    let mut stdout = child.stdout.take().unwrap();
    let (out_tx, out_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        let _ = out_tx.send(s);
    });
    if line_rx.recv_timeout(Duration::from_secs(15)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        let err = err_rx
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        panic!("capture did not start within 15 s; stderr:\n{err}");
    }
    Running {
        child,
        stdout: out_rx,
        stderr: err_rx,
    }
}

/// Waits (bounded) for the capture to exit by itself; returns (status code, stdout, stderr).
fn finish(mut run: Running, within: Duration) -> (i32, String, String) {
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(status) = run.child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = run.child.kill();
            let _ = run.child.wait();
            panic!("capture did not stop by itself within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = run
        .stdout
        .recv_timeout(Duration::from_secs(5))
        .expect("stdout");
    let err = run
        .stderr
        .recv_timeout(Duration::from_secs(5))
        .expect("stderr");
    (status.code().unwrap_or(-1), out, err)
}

/// One TCP connection to `listener`: a few bytes each way, then both close.
fn exchange(listener: &TcpListener) {
    let addr = listener.local_addr().unwrap();
    let mut client = TcpStream::connect(addr).expect("connect");
    let (mut server, _) = listener.accept().expect("accept");
    for s in [&client, &server] {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    }
    client.write_all(b"\x01\x02coffee?\x00").unwrap();
    let mut buf = [0u8; 10];
    server.read_exact(&mut buf).unwrap();
    server.write_all(b"\x01\x02tea!\x00").unwrap();
    let mut buf = [0u8; 7];
    client.read_exact(&mut buf).unwrap();
    drop(client);
    drop(server);
}

fn read_back(path: &Path) -> String {
    let (out, err, code) = support::coffeeshark(&["read", path.to_str().unwrap()]);
    assert_eq!(code, 0, "coffeeshark read failed: {err}");
    out
}

fn assert_summary(stderr: &str, packets: usize) {
    let want = format!("{packets} packets captured, 0 dropped by kernel");
    assert!(
        stderr.lines().any(|l| l == want),
        "stderr lacks {want:?}:\n{stderr}"
    );
}

#[test]
fn capture_tcp_exchange_prints_writes_and_reads_back_like_tshark() {
    if !live_allowed("capture_tcp_exchange") {
        return;
    }
    let dir = support::tempdir();
    let file = support::path_in(&dir, "live.pcapng");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let filter = format!("tcp port {port}");
    let run = start(&[
        "-i",
        "lo",
        "-f",
        &filter,
        "-w",
        file.to_str().unwrap(),
        "-a",
        "duration:3",
    ]);
    exchange(&listener);
    let (code, live, err) = finish(run, Duration::from_secs(20));
    assert_eq!(code, 0, "stderr: {err}");
    let lines: Vec<&str> = live.lines().collect();
    assert!(lines.len() >= 8, "too few packets:\n{live}");
    assert!(lines[0].contains("[SYN]"), "{live}");
    assert!(lines[1].contains("[SYN, ACK]"), "{live}");
    assert!(lines[2].contains("[ACK]"), "{live}");
    assert!(live.contains("Len=10") && live.contains("Len=7"), "{live}");
    assert!(live.contains("[FIN, ACK]"), "{live}");
    assert_summary(&err, lines.len());
    // The live lines are exactly the file's, time column included: both come
    // from the same nanosecond timestamps (the file says if_tsresol=9).
    let file_lines = read_back(&file);
    support::pretty_diff(&live, &file_lines, "live vs coffeeshark read");
    if let Some((tshark, code)) = support::tshark(&["-r", file.to_str().unwrap()]) {
        assert_eq!(code, 0);
        support::pretty_diff(&tshark, &file_lines, "tshark -r vs coffeeshark read");
    }
}

#[test]
fn capture_stops_after_count_with_the_handshake() {
    if !live_allowed("capture_count") {
        return;
    }
    let dir = support::tempdir();
    let file = support::path_in(&dir, "count.pcapng");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let filter = format!("tcp port {port}");
    let run = start(&[
        "-i",
        "lo",
        "-f",
        &filter,
        "-w",
        file.to_str().unwrap(),
        "-c",
        "3",
        "-a",
        "duration:20",
    ]);
    exchange(&listener);
    let (code, live, err) = finish(run, Duration::from_secs(15));
    assert_eq!(code, 0, "stderr: {err}");
    let lines: Vec<&str> = live.lines().collect();
    assert_eq!(lines.len(), 3, "{live}");
    assert!(lines[0].contains("[SYN]") && lines[1].contains("[SYN, ACK]"));
    assert_summary(&err, 3);
    support::pretty_diff(&live, &read_back(&file), "live vs coffeeshark read");
}

#[test]
fn sigint_flushes_everything_captured() {
    if !live_allowed("sigint_flushes") {
        return;
    }
    let dir = support::tempdir();
    let file = support::path_in(&dir, "sigint.pcapng");
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    let filter = format!("udp port {port}");
    // -a bounds the test should the signal be lost; -q: the file is the point.
    let run = start(&[
        "-i",
        "lo",
        "-f",
        &filter,
        "-w",
        file.to_str().unwrap(),
        "-q",
        "-a",
        "duration:30",
    ]);
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    const SENT: usize = 200;
    for i in 0..SENT {
        sender
            .send_to(format!("brew {i:04}").as_bytes(), ("127.0.0.1", port))
            .unwrap();
    }
    // No pause: what the kernel captured before the signal is still read.
    let pid = run.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let (code, live, err) = finish(run, Duration::from_secs(10));
    assert_eq!(code, 0, "stderr: {err}");
    assert!(live.is_empty(), "-q printed: {live}");
    assert_summary(&err, SENT);
    let back = read_back(&file);
    assert_eq!(back.lines().count(), SENT, "{back}");
    assert!(back.lines().all(|l| l.contains(&format!("→ {port} Len=9"))));
    if let Some((tshark, code)) = support::tshark(&["-r", file.to_str().unwrap()]) {
        assert_eq!(code, 0);
        support::pretty_diff(&tshark, &back, "tshark -r vs coffeeshark read");
    }
}

#[test]
fn list_interfaces_like_tshark() {
    let (out, err, code) = support::coffeeshark(&["capture", "-D"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines.is_empty());
    for (i, line) in lines.iter().enumerate() {
        assert!(line.starts_with(&format!("{}. ", i + 1)), "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(". lo (Loopback)") || l.ends_with(". lo")),
        "no lo in:\n{out}"
    );
    if let Some((tshark, 0)) = support::tshark(&["-D"]) {
        // tshark lists extcap interfaces (ciscodump, ...) after libpcap's:
        // ours must be its first lines.
        let theirs: Vec<&str> = tshark.lines().take(lines.len()).collect();
        assert_eq!(lines, theirs);
    }
}

#[test]
fn unknown_interface_lists_the_real_ones() {
    let (_, err, code) = support::coffeeshark(&["capture", "-i", "no-such-if0", "-c", "1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("there is no interface \"no-such-if0\""),
        "{err}"
    );
    assert!(err.contains("lo"), "{err}");
}

#[test]
fn bad_filter_gives_libpcaps_message() {
    if !live_allowed("bad_filter") {
        return;
    }
    let (_, err, code) = support::coffeeshark(&[
        "capture",
        "-i",
        "lo",
        "-f",
        "tcp prot 5030",
        "-a",
        "duration:5",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid capture filter \"tcp prot 5030\"") && err.contains("syntax error"),
        "{err}"
    );
}

#[test]
fn bad_autostop_is_refused() {
    let (_, err, code) =
        support::coffeeshark(&["capture", "-i", "lo", "-a", "filesize:10", "-c", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("duration:SECONDS and packets:N"), "{err}");
}

/// As root, run the binary as `nobody` to see the permission message.
#[test]
fn no_permission_says_how_to_get_it() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if !root || !setpriv {
        eprintln!("no_permission: skipped (needs root and setpriv to drop privileges)");
        return;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            BIN,
            "capture",
            "-i",
            "lo",
            "-a",
            "duration:5",
        ])
        .output()
        .expect("setpriv");
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("Permission denied") && !err.contains("no permission") {
        // The test binary's directory is not reachable for nobody.
        eprintln!("no_permission: skipped, nobody cannot run {BIN}: {err}");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no permission to capture on lo"), "{err}");
    assert!(
        err.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{err}"
    );
}
