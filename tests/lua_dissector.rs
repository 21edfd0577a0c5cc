//! The Wireshark plugin `dissector/htcpcp.lua` under real tshark (Debian's,
//! built with Lua), compared with `coffeeshark read` (issue 17):
//!
//! - every `htcpcp.*` field of coffeeshark's registry (`-Y htcpcp -T fields`)
//!   and the whole packet list (Protocol and Info columns included, as
//!   `tshark -r` prints it) are equal, on every bundled sample and on
//!   fixtures built here;
//! - the plugin's field list (`tshark -G fields`) is coffeeshark's registry;
//! - `coffeeshark dissector install` puts it where a plain `tshark` loads it;
//! - mutated captures never raise a Lua error;
//! - `luacheck` passes on it.
//!
//! Without tshark (or a tshark without Lua) the tests skip, or fail when
//! `COFFEESHARK_REQUIRE_TSHARK` is set (as `.ci/run` does); the same for
//! `luacheck`.
//!
//! The fixtures below are test-only captures built in code (synthetic edge
//! cases of the lab's traffic); `sample_capture/` holds the real recordings.

mod support;

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

fn plugin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dissector/htcpcp.lua")
}

/// tshark's marks of a script error: "Lua Error: FILE:LINE: ..." in the
/// tree and the Info column (the issue's "Lua: Error" too, to be safe).
fn lua_error(text: &str) -> bool {
    text.contains("Lua Error") || text.contains("Lua: Error")
}

fn require_tshark() -> bool {
    std::env::var_os("COFFEESHARK_REQUIRE_TSHARK").is_some()
}

/// Whether tshark runs and has Lua; panics instead of skipping when
/// `COFFEESHARK_REQUIRE_TSHARK` is set.
fn tshark_with_lua() -> bool {
    let Some((version, _)) = tshark(&["-v"]) else {
        return false;
    };
    if version.contains("with Lua") {
        return true;
    }
    assert!(
        !require_tshark(),
        "tshark has no Lua (COFFEESHARK_REQUIRE_TSHARK is set): {version}"
    );
    eprintln!("tshark has no Lua: skipping");
    false
}

/// tshark with the plugin loaded: (stdout, stderr, exit code).
fn tshark_lua(args: &[&str]) -> (String, String, i32) {
    let script = format!("lua_script:{}", plugin().display());
    let out = Command::new("tshark")
        .arg("-X")
        .arg(&script)
        .args(args)
        .output()
        .expect("run tshark");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The `htcpcp.*` fields of coffeeshark's registry.
fn htcpcp_fields() -> Vec<String> {
    let (out, _, code) = coffeeshark(&["fields", "htcpcp"]);
    assert_eq!(code, 0);
    let names: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("F\t"))
        .filter_map(|l| l.split('\t').nth(2))
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 20, "registry lists {names:?}");
    names
}

/// Compares one capture; returns the number of HTCPCP frames compared.
fn compare(capture: &Path) -> usize {
    compare_except(capture, &[])
}

const SEGMENT_MARK: &str = " [TCP segment of a reassembled PDU]";

/// [`compare`], where the packet-list lines of `unfinished_line` frames may
/// differ by one thing: a segment that holds only the start of a request
/// line, before the stream's protocol is known. Wireshark's reassembly
/// marks it "[TCP segment of a reassembled PDU]" (the plugin, like tshark's
/// own HTTP dissector, asks TCP for the rest of the line); coffeeshark
/// holds such bytes undecided and shows the segment as plain TCP. The
/// message itself, its frame and every htcpcp.* field still match.
fn compare_except(capture: &Path, unfinished_line: &[u64]) -> usize {
    let file = capture.to_str().unwrap();
    let mut args = vec![
        "-r",
        file,
        "-Y",
        "htcpcp",
        "-T",
        "fields",
        "-e",
        "frame.number",
    ];
    let fields = htcpcp_fields();
    for f in &fields {
        args.push("-e");
        args.push(f);
    }
    let (ours, err, code) = coffeeshark(&args[..]);
    assert_eq!(code, 0, "coffeeshark {args:?}: {err}");
    let (theirs, terr, tcode) = tshark_lua(&args);
    assert_eq!(tcode, 0, "tshark {args:?}: {terr}");
    assert!(!lua_error(&terr) && !lua_error(&theirs), "{file}: {terr}");
    pretty_diff(&ours, &theirs, &format!("{file}: htcpcp.* fields"));
    // The packet list, every frame: Protocol and Info included (tshark's
    // `-T fields -e _ws.col.*` columns are these; coffeeshark prints them
    // in the list only).
    let (ours, _, _) = coffeeshark(&["read", file]);
    let (theirs, terr, _) = tshark_lua(&["-r", file]);
    assert!(!lua_error(&terr) && !lua_error(&theirs), "{file}: {terr}");
    let theirs: String = theirs
        .lines()
        .map(|l| {
            let frame: u64 = l.split_whitespace().next().unwrap().parse().unwrap();
            match l.strip_suffix(SEGMENT_MARK) {
                Some(rest) if unfinished_line.contains(&frame) => format!("{rest}\n"),
                _ => format!("{l}\n"),
            }
        })
        .collect();
    pretty_diff(&ours, &theirs, &format!("{file}: packet list"));
    ours.lines().filter(|l| l.contains(" HTCPCP ")).count()
}

#[test]
fn samples_equal_coffeeshark() {
    if !tshark_with_lua() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_capture");
    let mut samples: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcapng"))
        .collect();
    samples.sort();
    let mut frames = 0;
    for s in &samples {
        frames += compare(s);
    }
    eprintln!(
        "htcpcp.* fields and packet lists equal on {frames} HTCPCP frames of {} samples",
        samples.len()
    );
    assert!(samples.len() >= 4 && frames >= 60, "{frames} frames");
}

// ---------------------------------------------------------------------
// Fixtures (test-only captures built in code)
// ---------------------------------------------------------------------

const REQ_HEAD: &[u8] = b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nAccept-Additions: cream; tea\r\nUse-Pot: ducky\r\nContent-Length: 5\r\n\r\n";
const RESP_OK: &[u8] = b"HTCPCP/1.1 200 OK\r\nServer: CoffeePot\r\nContent-Type: message/coffeepot\r\nContent-Length: 22\r\n\r\n{\"beverage\": \"coffee\"}";

/// A connection from `client_port` to `server_port` after its handshake.
fn conn(client_port: u16, server_port: u16, start: u64) -> TcpConn {
    let mut c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, client_port, server_port).at(start);
    c.send(true, SYN, b"")
        .send(false, SYN_ACK, b"")
        .send(true, ACK, b"");
    c
}

/// The pot's FIN, then the client's, as the lab's pot closes.
fn close(c: &mut TcpConn) {
    c.send(false, FIN_ACK, b"")
        .send(true, FIN_ACK, b"")
        .send(false, ACK, b"");
}

fn write(dir: &tempfile::TempDir, name: &str, conns: Vec<TcpConn>) -> PathBuf {
    let mut frames: Vec<Frame> = conns.into_iter().flat_map(|c| c.frames).collect();
    frames.sort_by_key(|f| f.ts_nanos);
    let path = path_in(dir, name);
    write_pcapng(
        &path,
        &[NgInterface {
            linktype: 1,
            name: "lo",
        }],
        &frames,
    );
    keep_fixture(&path);
    path
}

fn body_of(req: &[u8]) -> Vec<u8> {
    let mut v = req.to_vec();
    v.extend_from_slice(b"start");
    v
}

/// The fixtures the issue names, each a capture of its own: (name, capture).
fn fixtures(dir: &tempfile::TempDir) -> Vec<(&'static str, PathBuf, usize, Vec<u64>)> {
    let t0 = 1_795_000_000_000_000_000u64;
    let mut out = Vec::new();
    // (name, connections, HTCPCP frames, frames that end inside the first
    // request line: see `compare_except`).
    let mut add = |name: &'static str, conns: Vec<TcpConn>, frames: usize, cut: &[u64]| {
        let p = write(dir, &format!("{name}.pcapng"), conns);
        out.push((name, p, frames, cut.to_vec()));
    };

    // A head split over three segments (the request line whole in the
    // first), and a response head split over three as well.
    let mut c = conn(40001, 5030, t0);
    let req = body_of(REQ_HEAD);
    c.send(true, PSH_ACK, &req[..40])
        .send(true, PSH_ACK, &req[40..100])
        .send(true, PSH_ACK, &req[100..])
        .send(false, ACK, b"")
        .send(false, PSH_ACK, &RESP_OK[..10])
        .send(false, PSH_ACK, &RESP_OK[10..50])
        .send(false, PSH_ACK, &RESP_OK[50..]);
    close(&mut c);
    // The request line itself cut.
    let mut c2 = conn(40013, 5030, t0 + 10_000_000);
    c2.send(true, PSH_ACK, &req[..8])
        .send(true, PSH_ACK, &req[8..20])
        .send(true, PSH_ACK, &req[20..])
        .send(false, PSH_ACK, RESP_OK);
    close(&mut c2);
    add("head_in_three_segments", vec![c, c2], 4, &[17, 18]);

    // A body split from its head (Content-Length), both ways.
    let mut c = conn(40002, 5030, t0);
    let head_end = RESP_OK.len() - 22;
    c.send(true, PSH_ACK, REQ_HEAD)
        .send(true, PSH_ACK, b"start")
        .send(false, ACK, b"")
        .send(false, PSH_ACK, &RESP_OK[..head_end])
        .send(false, PSH_ACK, &RESP_OK[head_end..head_end + 10])
        .send(false, PSH_ACK, &RESP_OK[head_end + 10..]);
    close(&mut c);
    // The lab's BREW with no Content-Length, its body in the next segment.
    let mut c2 = conn(40014, 5030, t0 + 10_000_000);
    c2.send(
        true,
        PSH_ACK,
        b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\r\n",
    )
    .send(true, PSH_ACK, b"stop")
    .send(
        false,
        PSH_ACK,
        b"HTCPCP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    close(&mut c2);
    add("body_split_from_head", vec![c, c2], 4, &[]);

    // Two requests on one connection, each answered; then two requests
    // pipelined in one segment, their answers in one segment.
    let mut c = conn(40003, 5030, t0);
    let get =
        b"GET coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\r\n";
    let propfind = b"PROPFIND coffee://ducky HTCPCP/1.0\r\nContent-Type: application/coffee-pot-command\r\n\r\n";
    let mut both = get.to_vec();
    both.extend_from_slice(propfind);
    let mut answers = RESP_OK.to_vec();
    answers.extend_from_slice(b"HTCPCP/1.0 418 I'm a Teapot\r\nContent-Length: 0\r\n\r\n");
    c.send(true, PSH_ACK, get)
        .send(false, PSH_ACK, RESP_OK)
        .send(true, PSH_ACK, propfind)
        .send(false, PSH_ACK, b"HTCPCP/1.0 406 Not Acceptable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbusy")
        .send(true, PSH_ACK, &both)
        .send(false, PSH_ACK, &answers);
    close(&mut c);
    add("two_requests_one_connection", vec![c], 6, &[]);

    // The lab's own framing: BREW with no Content-Length (its body came
    // with its head), a response delimited by the close (body over two
    // segments, FIN on its own); then one whose FIN rides on the last data.
    let mut c = conn(40004, 5030, t0);
    let brew = b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nAccept-Additions: oat milk; whisky\r\n\r\nstart";
    c.send(true, PSH_ACK, brew)
        .send(false, ACK, b"")
        .send(
            false,
            PSH_ACK,
            b"HTCPCP/1.1 200 OK\r\nServer: CoffeePot\r\nContent-Type: message/coffeepot\r\nDate: Sat, 21 Nov 2026 14:42:39\r\n\r\n{\"date\": \"Sat, 21 Nov 2026\",",
        )
        .send(false, PSH_ACK, b" \"additions\": [\"oat milk\", \"whisky\"], \"n\": 1.5e3, \"ok\": true}")
        .send(true, ACK, b"");
    close(&mut c);
    let mut c2 = conn(40005, 5030, t0 + 10_000_000);
    let fin_psh = Flags {
        fin: true,
        ..PSH_ACK
    };
    c2.send(true, PSH_ACK, b"WHEN coffee://ducky HTTP/1.1\r\n\r\n")
        .send(false, PSH_ACK, b"HTCPCP/1.1 418 I'm a Teapot\r\n\r\n")
        .send(false, fin_psh, b"I'm a teapot")
        .send(true, FIN_ACK, b"")
        .send(false, ACK, b"");
    // A reply with no status line (a bare JSON body), ended by the close.
    let mut c3 = conn(40006, 5030, t0 + 20_000_000);
    c3.send(true, PSH_ACK, b"GET coffee://ducky HTTP/1.1\r\n\r\n")
        .send(false, PSH_ACK, b"{\"beverage\": ")
        .send(false, PSH_ACK, b"\"coffee\"}");
    close(&mut c3);
    add("response_delimited_by_close", vec![c, c2, c3], 6, &[]);

    // Schemes: percent-encoded (кофе), raw UTF-8, and one not accepted.
    let mut c = conn(40007, 5030, t0);
    c.send(
        true,
        PSH_ACK,
        b"GET %D0%BA%D0%BE%D1%84%D0%B5://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\n\r\n",
    )
    .send(false, PSH_ACK, b"HTCPCP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    close(&mut c);
    let mut c2 = conn(40008, 5030, t0 + 10_000_000);
    c2.send(
        true,
        PSH_ACK,
        "BREW кофе://psyduck/pot HTTP/1.1\r\nContent-Type: application/tea-pot-command\r\nUse-Pot: tea\r\nContent-Length: 4\r\n\r\nmake".as_bytes(),
    )
    .send(false, PSH_ACK, b"HTCPCP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    close(&mut c2);
    let mut c3 = conn(40009, 5030, t0 + 20_000_000);
    c3.send(
        true,
        PSH_ACK,
        b"MILK caffeine://ducky HTTP/1.1\r\nX-Note: caf\xe9\r\n\r\n",
    )
    .send(
        false,
        PSH_ACK,
        b"HTCPCP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n",
    );
    close(&mut c3);
    add("schemes", vec![c, c2, c3], 6, &[]);

    // HTCPCP on another port, found by content (the heuristic): a coffee
    // scheme in another language, and an HTCPCP version.
    let mut c = conn(40010, 6543, t0);
    c.send(true, PSH_ACK, b"GET koffie://ducky HTTP/1.1\r\n\r\n")
        .send(
            false,
            PSH_ACK,
            b"HTCPCP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        );
    close(&mut c);
    let mut c2 = conn(40011, 7001, t0 + 10_000_000);
    c2.send(
        true,
        PSH_ACK,
        b"BREW %4Baffee://ducky HTCPCP/1.0\r\nContent-Length: 4\r\n\r\nstop",
    )
    .send(
        false,
        PSH_ACK,
        b"HTCPCP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    close(&mut c2);
    add("other_port", vec![c, c2], 4, &[]);

    // Garbage on the pot's port: neither tool dissects it.
    let mut c = conn(40012, 5030, t0);
    c.send(true, PSH_ACK, b"\x00\x01\x02garbage\xff\xfe\r\n\x13\x37")
        .send(false, PSH_ACK, b"SSH-2.0-OpenSSH_9.2\r\n");
    close(&mut c);
    add("garbage_on_5030", vec![c], 0, &[]);
    out
}

#[test]
fn fixtures_equal_coffeeshark() {
    if !tshark_with_lua() {
        return;
    }
    let dir = tempdir();
    let mut total = 0;
    let list = fixtures(&dir);
    for (name, path, expected, cut) in &list {
        let frames = compare_except(path, cut);
        assert_eq!(frames, *expected, "{name}: HTCPCP frames");
        total += frames;
    }
    eprintln!(
        "htcpcp.* fields and packet lists equal on {total} HTCPCP frames of {} fixtures",
        list.len()
    );
}

#[test]
fn field_list_is_coffeeshark_registry() {
    if !tshark_with_lua() {
        return;
    }
    // `-G` must come first; the plugin's expert infos are not fields of
    // the registry.
    let script = format!("lua_script:{}", plugin().display());
    let out = Command::new("tshark")
        .args(["-G", "fields", "-X", &script])
        .output()
        .expect("run tshark");
    let listing = String::from_utf8_lossy(&out.stdout);
    let theirs: Vec<&str> = listing
        .lines()
        .filter(|l| {
            l.split('\t').nth(2).is_some_and(|n| {
                (n == "htcpcp" || n.starts_with("htcpcp.")) && !n.starts_with("htcpcp.expert.")
            })
        })
        .collect();
    let (ours, _, _) = coffeeshark(&["fields", "htcpcp"]);
    let ours: Vec<&str> = ours.lines().collect();
    assert_eq!(
        theirs, ours,
        "tshark -G fields with the plugin vs coffeeshark fields"
    );
}

#[test]
fn print_is_the_file() {
    let (out, _, code) = coffeeshark(&["dissector", "print"]);
    assert_eq!(code, 0);
    assert_eq!(out, std::fs::read_to_string(plugin()).unwrap());
}

/// Runs a command with `HOME` pointed at `home` (and no XDG override).
fn at_home(home: &Path, program: &str, args: &[&str]) -> (String, String, i32) {
    let out = Command::new(program)
        .args(args)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .expect("run");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn install_then_plain_tshark_loads_it() {
    if !tshark_with_lua() {
        return;
    }
    let home = tempdir();
    let bin = env!("CARGO_BIN_EXE_coffeeshark");
    let (path, err, code) = at_home(home.path(), bin, &["dissector", "path"]);
    assert_eq!(code, 0, "{err}");
    let path = PathBuf::from(path.trim());
    assert!(path.starts_with(home.path()), "{}", path.display());
    assert!(path.ends_with("htcpcp.lua"));

    let (printed, err, code) = at_home(home.path(), bin, &["dissector", "install"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(printed.trim(), path.to_str().unwrap());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(plugin()).unwrap()
    );

    // Plain tshark (no -X) lists and uses it.
    let (plugins, _, _) = at_home(home.path(), "tshark", &["-G", "plugins"]);
    assert!(
        plugins
            .lines()
            .any(|l| l.starts_with("htcpcp.lua") && l.contains(path.to_str().unwrap())),
        "tshark -G plugins does not list {}:\n{plugins}",
        path.display()
    );
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_capture/coffee_418_406.pcapng");
    let sample = sample.to_str().unwrap();
    let (theirs, terr, _) = at_home(home.path(), "tshark", &["-r", sample, "-Y", "htcpcp"]);
    assert!(!lua_error(&terr) && !lua_error(&theirs), "{terr}");
    let (ours, _, _) = coffeeshark(&["read", sample, "-Y", "htcpcp"]);
    assert_eq!(theirs.lines().count(), 14);
    pretty_diff(&ours, &theirs, "installed plugin, -Y htcpcp");

    // Again: the same file is fine. A different one is kept without --force.
    let (_, err, code) = at_home(home.path(), bin, &["dissector", "install"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&path, "-- someone else's dissector\n").unwrap();
    let (_, err, code) = at_home(home.path(), bin, &["dissector", "install"]);
    assert_ne!(code, 0);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "-- someone else's dissector\n"
    );
    let (_, err, code) = at_home(home.path(), bin, &["dissector", "install", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(plugin()).unwrap()
    );
}

#[test]
fn luacheck_passes() {
    let out = match Command::new("luacheck")
        .arg("--no-color")
        .arg(plugin())
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            assert!(
                !require_tshark(),
                "luacheck is required (COFFEESHARK_REQUIRE_TSHARK is set; apt-get install lua-check): {e}"
            );
            eprintln!("luacheck not found: skipping ({e})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "luacheck:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

// ---------------------------------------------------------------------
// Bad input: mutated captures (test-only, built in code)
// ---------------------------------------------------------------------

/// Lab-like messages the mutations start from: (from client, bytes).
fn seeds() -> Vec<(bool, Vec<u8>)> {
    vec![
        (true, body_of(REQ_HEAD)),
        (false, RESP_OK.to_vec()),
        (true, b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nAccept-Additions: oat milk; tea\r\n\r\nstart".to_vec()),
        (false, b"HTCPCP/1.1 200 OK\r\nServer: CoffeePot\r\nContent-Type: message/coffeepot\r\n\r\n{\"a\": [1, 2.5e3, {\"b\": null}], \"c\": \"\\u00e9\\ud83d\\ude00\"}".to_vec()),
        (false, b"HTCPCP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=1\r\n: 1\r\n1\r\n}\r\n0\r\nX-T: 1\r\n\r\n".to_vec()),
        (false, b"{\"beverage\": \"coffee\", \"n\": [[[[]]]]}".to_vec()),
        (true, b"GET %D0%BA%D0%BE%D1%84%D0%B5://ducky HTCPCP/1.0\r\nUse-Pot: tea\r\n\r\n".to_vec()),
        (false, b"HTCPCP/1.1 406 Not Acceptable\r\nContent-Length: 5, 5\r\n\r\nbusy!".to_vec()),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"{".to_vec()),
        Just(b"Content-Length: 99\r\n".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"%".to_vec()),
        Just(b"\0".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), bytes).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..20).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut m: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for x in muts {
        let n = m.len().max(1);
        match x {
            Mutation::Set(i, b) if !m.is_empty() => {
                let i = i % n;
                m[i] = *b;
            }
            Mutation::Insert(i, b) => {
                let i = i % (m.len() + 1);
                m.splice(i..i, b.iter().copied());
            }
            Mutation::Delete(i, k) if !m.is_empty() => {
                let i = i % n;
                let end = (i + k).min(m.len());
                m.drain(i..end);
            }
            Mutation::Truncate(i) => m.truncate(i % n),
            _ => {}
        }
    }
    m
}

/// One mutated exchange: seed, mutations, segment cuts, port, FIN at once.
type Case = (usize, usize, Vec<Mutation>, Vec<usize>, bool, bool);

fn case() -> impl Strategy<Value = Case> {
    (
        any::<usize>(),
        any::<usize>(),
        proptest::collection::vec(mutation(), 0..4),
        proptest::collection::vec(any::<usize>(), 0..3),
        any::<bool>(),
        proptest::bool::weighted(0.8),
    )
}

/// The frames of one mutated exchange on `client_port`.
fn mutated_conn(c: &Case, client_port: u16, start: u64) -> TcpConn {
    let seeds = seeds();
    let (req_i, resp_i, muts, cuts, fin_with_data, pot_port) = c;
    let requests: Vec<_> = seeds.iter().filter(|s| s.0).collect();
    let responses: Vec<_> = seeds.iter().filter(|s| !s.0).collect();
    let req = requests[req_i % requests.len()].1.clone();
    let resp = responses[resp_i % responses.len()].1.clone();
    // Mutations go to one side or the other by their count's parity.
    let (req, resp) = if muts.len() % 2 == 0 {
        (mutate(req, muts), resp)
    } else {
        (req, mutate(resp, muts))
    };
    let port = if *pot_port { 5030 } else { 6543 };
    let mut conn = conn(client_port, port, start);
    let split = |m: &[u8]| -> Vec<Vec<u8>> {
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (m.len() + 1)).collect();
        at.sort();
        at.dedup();
        let mut out = Vec::new();
        let mut from = 0;
        for a in at {
            out.push(m[from..a].to_vec());
            from = a;
        }
        out.push(m[from..].to_vec());
        out.into_iter().filter(|s| !s.is_empty()).collect()
    };
    for s in split(&req) {
        conn.send(true, PSH_ACK, &s);
    }
    let parts = split(&resp);
    for (i, s) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let flags = if last && *fin_with_data {
            Flags {
                fin: true,
                ..PSH_ACK
            }
        } else {
            PSH_ACK
        };
        conn.send(false, flags, s);
    }
    if !*fin_with_data || parts.is_empty() {
        conn.send(false, FIN_ACK, b"");
    }
    conn.send(true, FIN_ACK, b"").send(false, ACK, b"");
    conn
}

proptest! {
    // Each case is a capture of 100 mutated exchanges run through tshark
    // once: 4 cases = 400 mutated exchanges in a few seconds.
    #![proptest_config(ProptestConfig { cases: 4, max_shrink_iters: 20, ..ProptestConfig::default() })]

    #[test]
    fn mutated_captures_raise_no_lua_error(batch in proptest::collection::vec(case(), 100)) {
        if !tshark_with_lua() {
            return Ok(());
        }
        let dir = tempdir();
        let t0 = 1_795_000_000_000_000_000u64;
        let conns: Vec<TcpConn> = batch
            .iter()
            .enumerate()
            .map(|(i, c)| mutated_conn(c, 20000 + i as u16, t0 + i as u64 * 5_000_000))
            .collect();
        let path = write(&dir, "mutated.pcapng", conns);
        let file = path.to_str().unwrap();
        for args in [&["-r", file, "-V"][..], &["-r", file, "-Y", "htcpcp", "-T", "fields", "-e", "htcpcp.body"]] {
            let (out, err, code) = tshark_lua(args);
            prop_assert_eq!(code, 0, "tshark {:?}: {}", args, err);
            prop_assert!(!lua_error(&out) && !lua_error(&err),
                "Lua error on {}:\n{}\n{}", file, err,
                out.lines().filter(|l| lua_error(l)).take(5).collect::<Vec<_>>().join("\n"));
        }
    }
}
