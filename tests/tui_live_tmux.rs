//! The live terminal UI as a person uses it, on the real loopback interface:
//! the release of `coffeeshark lab --tui` in tmux driven by a scripted
//! visit (the 418 row, the answers pane naming its frame, the capture read
//! back by tshark after quitting), and `coffeeshark tui -i lo -w FILE`
//! killed with SIGTERM mid-capture (the file is whole and holds every
//! packet the screen showed).
//!
//! The lab test uses the lab's own ports, 5030 and 5031 (the answers are
//! about them), so nothing else may listen there while it runs.
//!
//! Capturing needs root or CAP_NET_RAW/CAP_NET_ADMIN: without them these
//! tests skip, or fail when `COFFEESHARK_REQUIRE_LIVE` is set (as `.ci/run`
//! does). tmux and tshark are installed by `.ci/setup test`. Every wait is
//! bounded; every process started is stopped.

#![cfg(feature = "live")]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_coffeeshark");

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
        panic!("{test}: live capture is required (COFFEESHARK_REQUIRE_LIVE is set) but `coffeeshark capture -i lo` fails:\n{why}");
    }
    eprintln!("{test}: skipped, cannot capture on lo here: {why}");
    false
}

struct Tmux {
    session: String,
}

impl Tmux {
    /// A shell in a new 160x45 session, its prompt `READY$ `.
    fn start(name: &str) -> Tmux {
        let t = Tmux {
            session: format!("coffeeshark-{name}-{}", std::process::id()),
        };
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &t.session,
                "-x",
                "160",
                "-y",
                "45",
            ])
            .arg("env PS1='READY$ ' sh")
            .status()
            .expect("tmux is required for this test (.ci/setup test installs it)");
        assert!(status.success());
        t.wait_for("READY$", 20);
        t
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").args(args).output().expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.session, "-l", text]);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    fn wait_until(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("the screen never showed {what}:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for(&self, what: &str, secs: u64) -> String {
        self.wait_until(&format!("{what:?}"), secs, |s| s.contains(what))
    }

    /// The PID of the shell's child (the command it runs), from /proc.
    fn child_pid(&self) -> u32 {
        let shell: u32 = self
            .run(&["display", "-p", "-t", &self.session, "#{pane_pid}"])
            .trim()
            .parse()
            .expect("the pane's PID");
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .find(|pid| {
                // The parent is the second field after the ")" of the name.
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.to_owned()))
                    .and_then(|r| r.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(shell)
            })
            .expect("the command's process")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .output();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("coffeeshark-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `tshark -r FILE [-Y FILTER]`: its lines, failing on any error it reports.
fn tshark(file: &Path, filter: Option<&str>) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(file);
    if let Some(f) = filter {
        cmd.args(["-Y", f]);
    }
    let out = cmd
        .output()
        .expect("tshark is required (.ci/setup test installs it)");
    let err = String::from_utf8_lossy(&out.stderr);
    let complaints: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains("Running as user") && !l.trim().is_empty())
        .collect();
    assert!(
        out.status.success() && complaints.is_empty(),
        "tshark: {err}"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `N/M frames` of the status line.
fn frames_shown(screen: &str) -> Option<(u64, u64)> {
    let status = screen.lines().rev().find(|l| l.contains(" frames │"))?;
    let field = status.split('│').find(|f| f.contains(" frames"))?;
    let (a, b) = field.trim().trim_end_matches(" frames").split_once('/')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[test]
fn the_lab_in_one_command_shows_the_418_and_names_its_frame() {
    if !live_allowed("lab_tui") {
        return;
    }
    let dir = temp_dir("lab-tui");
    let capture = dir.join("lab.pcapng");
    let t = Tmux::start("lab-tui");
    t.text(&format!(
        "{BIN} lab --tui --local --brew-time 1 --data-dir {} --capture {}; echo EXIT=$?",
        dir.join("data").display(),
        capture.display()
    ));
    t.keys(&["Enter"]);
    let s = t.wait_for("open http://127.0.0.1:", 30);
    let url: String = s
        .split("open ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the URL in the status line")
        .to_owned();
    assert!(s.contains("Answers"), "the answers pane is open:\n{s}");

    // A browser's visit of the 418/406 scenario, scripted.
    let visit = Command::new(BIN)
        .args(["visit", "--scenario", "418_406", &url])
        .output()
        .expect("coffeeshark visit");
    assert!(
        visit.status.success(),
        "{}",
        String::from_utf8_lossy(&visit.stderr)
    );

    // The 418 in the list.
    t.wait_until("every packet of the visit", 30, |s| {
        frames_shown(s).is_some_and(|(shown, total)| shown == total && total >= 300)
    });
    t.keys(&["/"]);
    t.text("htcpcp.response.code == 418");
    t.keys(&["Enter"]);
    let s = t.wait_for("HTCPCP/1.1 418 I'm a Teapot", 20);
    let row = s
        .lines()
        .find(|l| l.contains("HTCPCP/1.1 418 I'm a Teapot"))
        .unwrap();
    let frame: u64 = row.split_whitespace().next().unwrap().parse().unwrap();

    // The answers pane, refreshed since, names that frame under Task 7.
    t.keys(&["Tab"]);
    let start = Instant::now();
    loop {
        let s = t.screen();
        if s.contains("Is a 418 produced") && s.contains(&format!("pot: #{frame} HTCPCP/1.1 418")) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the answers never named frame {frame}:\n{s}"
        );
        t.keys(&["j"]);
        std::thread::sleep(Duration::from_millis(20));
    }

    t.keys(&["q"]);
    let s = t.wait_for("EXIT=0", 30);
    let summary = s
        .lines()
        .find(|l| l.contains("packets captured"))
        .expect("the capture's summary after quitting");
    let captured: usize = summary.split_whitespace().next().unwrap().parse().unwrap();
    // tshark reads the whole file without complaint: the same frames.
    let lines = tshark(&capture, None);
    assert_eq!(lines.len(), captured, "{summary}");
    let teapot = tshark(
        &capture,
        Some(&format!(
            "frame.number == {frame} && tcp contains \"418 I'm a Teapot\""
        )),
    );
    assert_eq!(
        teapot.len(),
        1,
        "frame {frame} is the pot's 418 for tshark too"
    );
    // The servers are stopped: the web app no longer answers.
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn killed_mid_capture_the_file_holds_every_packet_shown() {
    if !live_allowed("tui_sigterm") {
        return;
    }
    let dir = temp_dir("tui-kill");
    let file = dir.join("live.pcapng");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = Tmux::start("tui-kill");
    t.text(&format!(
        "{BIN} tui -i lo -f 'tcp port {port}' -w {}; echo EXIT=$?",
        file.display()
    ));
    t.keys(&["Enter"]);
    t.wait_for("capturing", 20);

    // Traffic until the test says stop: a bounded number of connections.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let server = std::thread::spawn(move || {
        for _ in 0..400 {
            let Ok((mut s, _)) = listener.accept() else {
                break;
            };
            let _ = s.write_all(b"pong\n");
        }
    });
    let client = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            for i in 0..400 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                if let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) {
                    let _ = c.write_all(format!("ping {i}\n").as_bytes());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let s = t.wait_until("40 frames", 30, |s| {
        frames_shown(s).is_some_and(|(_, n)| n >= 40)
    });
    let pid = t.child_pid();
    // The last screen before the kill: the frames it showed.
    let shown = frames_shown(&t.screen())
        .map_or(0, |(_, n)| n)
        .max(frames_shown(&s).unwrap().1);
    // SAFETY: a signal to the process this test started.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
    let s = t.wait_until("the exit status", 30, |s| {
        s.lines().any(|l| l.starts_with("EXIT="))
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    client.join().unwrap();
    // Unblock the accept loop.
    let _ = TcpStream::connect(("127.0.0.1", port));
    drop(server);
    assert!(s.contains("EXIT=0"), "{s}");
    assert!(!s.contains("Packet List"), "the terminal is restored:\n{s}");
    let lines = tshark(&file, None);
    assert!(
        lines.len() as u64 >= shown,
        "{} frames in the file, {shown} were shown",
        lines.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_capture_that_cannot_start_says_why_before_taking_the_terminal() {
    let out = Command::new(BIN)
        .args(["tui", "-i", "no-such-interface-here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("there is no interface \"no-such-interface-here\""),
        "{err}"
    );
    // Nothing was written to the terminal: no alternate screen, no escape codes.
    assert!(out.stdout.is_empty());
}
