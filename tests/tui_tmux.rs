//! The terminal UI as a person uses it: the binary in a real terminal
//! (tmux), keys typed with `send-keys`, the screen read with
//! `capture-pane`. Open a sample, filter the 418, open the details, follow
//! the stream, quit; the shell's screen is back afterwards.
//!
//! tmux is installed by `.ci/setup test`; without it this test fails (it
//! does not skip).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(args)
            .output()
            .expect("tmux is required for this test (.ci/setup test installs it)");
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

    /// Waits until the screen contains `what` (at most 20 s).
    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("the screen never showed {what:?}:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .output();
    }
}

#[test]
fn open_filter_details_follow_quit_in_a_real_terminal() {
    let bin = env!("CARGO_BIN_EXE_coffeeshark");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_capture/coffee_418_406.pcapng");
    let t = Tmux {
        session: format!("coffeeshark-test-{}", std::process::id()),
    };
    let status = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &t.session,
            "-x",
            "150",
            "-y",
            "45",
            "env PS1='READY$ ' sh",
        ])
        .status()
        .expect("tmux is required for this test (.ci/setup test installs it)");
    assert!(status.success());
    t.wait_for("READY$");
    t.text(&format!("{bin} tui {}; echo EXIT=$?", sample.display()));
    t.keys(&["Enter"]);
    let s = t.wait_for("Packet List");
    assert!(s.contains("No.") && s.contains("Info"), "{s}");
    t.wait_for(" frames │");
    t.keys(&["/"]);
    t.text("htcpcp.response.code == 418");
    t.keys(&["Enter"]);
    let s = t.wait_for("1/");
    assert!(s.contains("HTCPCP/1.1 418 I'm a Teapot"), "{s}");
    // Details: the HTCPCP layer is open.
    t.keys(&["Tab"]);
    let s = t.wait_for("[-] Hyper Text Coffee Pot Control Protocol");
    assert!(s.contains("Content-Type: text/plain"), "{s}");
    // Follow the stream.
    t.keys(&["f"]);
    let s = t.wait_for("Follow TCP stream");
    assert!(
        s.contains("BREW coffee://ducky") && s.contains("I'm a teapot"),
        "{s}"
    );
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    let s = t.wait_for("EXIT=0");
    // The alternate screen is gone: the shell's lines are back.
    assert!(!s.contains("Packet List"), "{s}");
    assert!(s.contains("READY$"), "{s}");
}
