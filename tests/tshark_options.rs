//! tshark's options that scripts and tutorials pass, against tshark 4.0 on
//! the bundled samples: `-o` preferences (honoured, refused or unknown),
//! `-R` alone and with `-2`, `-N`, `-G elastic-mapping`, `-D`, and the
//! `dumpcap` name.
//!
//! The pot's HTCPCP rows are left out of list comparisons (tshark calls
//! them HTTP or Continuation; see `tests/pdml.rs`).

mod support;

use std::collections::BTreeMap;
use support::*;

const SAMPLES: &[&str] = &[
    "sample_capture/homepage_coffee.pcapng",
    "sample_capture/coffee_brew.pcapng",
    "sample_capture/coffee_418_406.pcapng",
    "sample_capture/coffee_https.pcapng",
    "sample_capture/http_loopback.pcapng",
    "sample_capture/tls12_openssl.pcapng",
];

/// tshark's stderr without its "Running as user root" warning.
fn tshark_err(args: &[&str]) -> Option<(String, i32)> {
    tshark(&["-v"])?;
    let out = std::process::Command::new("tshark")
        .args(args)
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("Running as user"))
        .map(|l| format!("{l}\n"))
        .collect();
    Some((err, out.status.code().unwrap_or(-1)))
}

/// The two outputs line by line, but the pot's rows and `skip`'s frames.
fn same_lines(what: &str, ours: &str, theirs: &str, skip: &[&str]) -> usize {
    assert_eq!(
        ours.lines().count(),
        theirs.lines().count(),
        "{what}: lines"
    );
    let mut n = 0;
    for (o, t) in ours.lines().zip(theirs.lines()) {
        let frame = o.split_whitespace().next().unwrap_or("");
        if o.contains(" HTCPCP ")
            || skip.contains(&frame)
            || skip.contains(&"Client Hello") && o.ends_with("Client Hello")
        {
            continue;
        }
        assert_eq!(o, t, "{what}");
        n += 1;
    }
    n
}

/// `-o tcp.relative_sequence_numbers:FALSE` and
/// `-o tcp.analyze_sequence_numbers:FALSE` (which in tshark 4.0 also shows
/// raw numbers): the packet list and the sequence fields are tshark's.
/// One known difference: with the analysis off tshark hands a
/// retransmitted segment to TLS again (frame 898 of `coffee_https` is
/// "Application Data" there), where coffeeshark's reassembly still knows
/// the bytes were seen and shows TCP.
#[test]
fn sequence_preferences_are_honoured_as_tshark_does() {
    let mut rows = 0;
    for sample in SAMPLES {
        for pref in [
            "tcp.relative_sequence_numbers:FALSE",
            "tcp.analyze_sequence_numbers:FALSE",
            "tcp.analyze_sequence_numbers:TRUE",
        ] {
            let args = ["-r", sample, "-o", pref];
            let (ours, err, code) = coffeeshark(&args);
            assert_eq!(code, 0, "{err}");
            let Some((theirs, _)) = tshark(&args) else {
                return;
            };
            let skip: &[&str] = if sample.contains("coffee_https") && pref.contains("analyze") {
                &["898"]
            } else {
                &[]
            };
            rows += same_lines(&format!("{sample} -o {pref}"), &ours, &theirs, skip);
            let fields = [
                "-r",
                sample,
                "-o",
                pref,
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "tcp.seq",
                "-e",
                "tcp.seq_raw",
                "-e",
                "tcp.ack",
                "-e",
                "tcp.ack_raw",
                "-e",
                "tcp.nxtseq",
            ];
            let (ours, _, _) = coffeeshark(&fields);
            let (theirs, _) = tshark(&fields).unwrap();
            assert_eq!(ours, theirs, "{sample} -o {pref}: sequence fields");
        }
    }
    assert!(rows > 5000, "{rows}");
}

/// Unknown preferences get tshark's message (exit 2, where tshark exits 1:
/// coffeeshark's usage errors are 2); preferences coffeeshark cannot
/// honour are refused with the reason.
#[test]
fn unknown_and_unsupported_preferences_are_refused() {
    let (out, err, code) = coffeeshark(&["-r", SAMPLES[0], "-o", "foo.bar:1"]);
    assert_eq!((out.as_str(), code), ("", 2));
    if let Some((theirs, tcode)) = tshark_err(&["-r", SAMPLES[0], "-o", "foo.bar:1"]) {
        assert_eq!(
            err.strip_prefix("coffeeshark: "),
            theirs.strip_prefix("tshark: ")
        );
        assert_eq!(tcode, 1);
    }
    for pref in [
        "tcp.desegment_tcp_streams:FALSE",
        "http.desegment_body:FALSE",
    ] {
        let (out, err, code) = coffeeshark(&["-r", SAMPLES[0], "-o", pref]);
        assert_eq!((out.as_str(), code), ("", 2), "{pref}");
        assert!(err.contains("only TRUE is accepted"), "{err}");
        let (_, _, ok) = coffeeshark(&[
            "-r",
            SAMPLES[0],
            "-c",
            "1",
            "-o",
            &pref.replace("FALSE", "TRUE"),
        ]);
        assert_eq!(ok, 0, "{pref} at TRUE");
    }
}

/// `-R` without `-2`: tshark's message and exit status (1).
#[test]
fn read_filter_without_two_passes_is_tsharks_error() {
    let args = ["-r", SAMPLES[1], "-R", "http"];
    let (out, err, code) = coffeeshark(&args);
    assert_eq!((out.as_str(), code), ("", 1));
    if let Some((theirs, tcode)) = tshark_err(&args) {
        assert_eq!(
            err.strip_prefix("coffeeshark: "),
            theirs.strip_prefix("tshark: ")
        );
        assert_eq!(tcode, 1);
    }
}

/// `-2 -R FILTER`: the read filter's packets only, numbered from 1, the
/// Time column still counted from the file's first packet — tshark's list
/// byte for byte, also with `-Y` on top, and `-2` alone. What `-2` changes
/// in tshark's list for these captures, coffeeshark does too: a segment
/// that begins a message keeps TCP's Info (one pass shows the message's
/// first line there). One known difference: tshark's second pass knows the
/// TLS version the server chose, so a TLS 1.3 Client Hello is `TLSv1.3` in
/// its Protocol column; coffeeshark shows `TLSv1` (the record's version),
/// with or without `-2`.
#[test]
fn two_pass_read_filter_is_tsharks() {
    let mut rows = 0;
    for sample in SAMPLES {
        for extra in [
            vec!["-R", "tcp.stream == 1"],
            vec!["-R", "tcp.len > 0"],
            vec!["-R", "tcp.port == 5031", "-Y", "tcp.flags.syn == 1"],
        ] {
            let mut args = vec!["-r", sample, "-2"];
            args.extend(&extra);
            let (ours, err, code) = coffeeshark(&args);
            assert_eq!(code, 0, "{err}");
            let Some((theirs, _)) = tshark(&args) else {
                return;
            };
            rows += same_lines(
                &format!("{sample} {extra:?}"),
                &ours,
                &theirs,
                &["Client Hello"],
            );
        }
        // -2 alone: tshark's two-pass list.
        let (two, _, _) = coffeeshark(&["-r", sample, "-2"]);
        let (theirs, _) = tshark(&["-r", sample, "-2"]).unwrap();
        rows += same_lines(&format!("{sample} -2"), &two, &theirs, &["Client Hello"]);
    }
    assert!(rows > 1000, "{rows}");
}

/// `-N`: tshark's letters are accepted (coffeeshark resolves no names and
/// says so on stderr; the output is the same); another letter gets tshark's
/// message and exit status.
#[test]
fn name_resolution_flags() {
    let (plain, _, _) = coffeeshark(&["-r", SAMPLES[0], "-c", "5"]);
    let (out, err, code) = coffeeshark(&["-r", SAMPLES[0], "-c", "5", "-N", "mnt"]);
    assert_eq!((out.as_str(), code), (plain.as_str(), 0));
    assert!(err.contains("resolves no names"), "{err}");
    let args = ["-r", SAMPLES[0], "-N", "q"];
    let (out, err, code) = coffeeshark(&args);
    assert_eq!((out.as_str(), code), ("", 1));
    if let Some((theirs, tcode)) = tshark_err(&args) {
        assert_eq!(
            err.strip_prefix("coffeeshark: "),
            theirs.strip_prefix("tshark: ")
        );
        assert_eq!(tcode, 1);
    }
}

/// `-G elastic-mapping` (what pyshark's `use_ek` reads): every protocol and
/// key coffeeshark lists that tshark lists has tshark's type.
#[test]
fn elastic_mapping_types_are_tsharks() {
    let (ours, err, code) = coffeeshark(&["-G", "elastic-mapping"]);
    assert_eq!(code, 0, "{err}");
    let Some((theirs, _)) = tshark(&["-G", "elastic-mapping"]) else {
        return;
    };
    let types = |text: &str| {
        let doc: serde_json::Value = serde_json::from_str(text).expect("JSON");
        assert_eq!(doc["mappings"]["properties"]["timestamp"]["type"], "date");
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        let layers = &doc["mappings"]["properties"]["layers"]["properties"];
        for (proto, v) in layers.as_object().unwrap() {
            for (key, t) in v["properties"].as_object().unwrap() {
                out.insert(
                    format!("{proto} {key}"),
                    t["type"].as_str().unwrap().to_string(),
                );
            }
        }
        out
    };
    // (serde_json keeps the last of a repeated protocol, which for tshark's
    // `tcp` is empty: those keys are not compared.)
    let theirs_types = types(&theirs);
    let ours_types = types(&ours);
    let (mut compared, mut differ) = (0, Vec::new());
    for (key, t) in &ours_types {
        if let Some(their) = theirs_types.get(key) {
            if t == their {
                compared += 1;
            } else {
                differ.push(format!("{key}: ours {t}, tshark {their}"));
            }
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
    eprintln!(
        "elastic-mapping: {compared} of our {} keys typed as tshark types them",
        ours_types.len()
    );
    assert!(compared > 50, "{compared}");
}

/// `-D` at the top level (pyshark's interface check) is `capture -D`.
#[cfg(feature = "live")]
#[test]
fn top_level_d_lists_interfaces() {
    let (top, _, code) = coffeeshark(&["-D"]);
    let (capture, _, _) = coffeeshark(&["capture", "-D"]);
    assert_eq!(code, 0);
    assert_eq!(top, capture);
    assert!(top.lines().any(|l| l.contains(". lo")), "{top}");
}

/// Named `dumpcap` (a symlink), coffeeshark is a capture program; what it
/// cannot do it refuses, and `read` takes a capture only on `-i -`.
#[cfg(feature = "live")]
#[test]
fn dumpcap_name_and_interfaces() {
    let dir = tempdir();
    let dumpcap = dir.path().join("dumpcap");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_coffeeshark"), &dumpcap).unwrap();
    let out = std::process::Command::new(&dumpcap)
        .args(["-P", "-i", "lo", "-w", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-P is not supported"));
    let out = std::process::Command::new(&dumpcap)
        .arg("-D")
        .output()
        .unwrap();
    let (capture, _, _) = coffeeshark(&["capture", "-D"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), capture);
    let (_, err, code) = coffeeshark(&["-i", "eth0", "-T", "pdml"]);
    assert_eq!(code, 2);
    assert!(err.contains("coffeeshark capture -i eth0"), "{err}");
}

/// `-i -`: a capture on standard input, followed as it comes (what pyshark
/// pipes from dumpcap) — the same output as the file.
#[test]
fn capture_on_standard_input() {
    for sample in SAMPLES {
        let (file, _, _) = coffeeshark(&["-r", sample, "-T", "ek"]);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_coffeeshark"))
            .args(["-l", "-n", "-T", "ek", "-i", "-"])
            .stdin(std::fs::File::open(sample).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), file, "{sample}");
    }
}

/// `-E bom=y` and `_ws.col.Time` in every `-t` format (`dd` counting the
/// packets `-Y` displays): tshark's `-T fields` output byte for byte.
#[test]
fn fields_bom_and_time_column_are_tsharks() {
    let sample = SAMPLES[1];
    for t in ["r", "d", "dd", "e", "a", "ad", "adoy", "u", "ud", "udoy"] {
        let args = [
            "-r",
            sample,
            "-t",
            t,
            "-Y",
            "tcp.len > 0",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.col.Time",
            "-E",
            "bom=y",
            "-E",
            "header=y",
        ];
        let (ours, err, code) = coffeeshark(&args);
        assert_eq!(code, 0, "{err}");
        let Some((theirs, _)) = tshark(&args) else {
            return;
        };
        assert!(ours.starts_with('\u{feff}'));
        assert_eq!(ours, theirs, "-t {t}");
    }
    let (_, err, code) = coffeeshark(&[
        "-r",
        sample,
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-E",
        "bom=x",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("\"bom\" is not a valid field output option=value pair."),
        "{err}"
    );
}
