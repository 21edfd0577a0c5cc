//! `read -w FILE [-F FORMAT]` against tshark's `-w` (Export Specified
//! Packets): both tools write the packets one filter keeps from every
//! bundled sample, in pcapng, pcap and nsecpcap, and tshark reads both
//! files back — the packet list (times, lengths, dissection), the hex dump
//! of every frame and the epoch times and lengths must be the same.

mod support;

use support::*;

const FILTER: &str = "tcp.flags.syn == 1 || tcp.len > 100";

fn samples() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("sample_capture")
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".pcapng") || p.ends_with(".pcap"))
        .collect();
    v.sort();
    v
}

/// What tshark reads in a capture file: list, hex, and times/lengths.
fn seen_by_tshark(file: &str) -> String {
    let mut all = String::new();
    for args in [
        vec!["-r", file],
        vec!["-r", file, "-x"],
        vec![
            "-r",
            file,
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.len",
            "-e",
            "frame.cap_len",
        ],
    ] {
        let (out, code) = tshark(&args).unwrap();
        assert_eq!(code, 0, "tshark {args:?}");
        all.push_str(&out);
    }
    all
}

#[test]
fn written_files_read_back_as_tsharks_own() {
    if tshark(&["-v"]).is_none() {
        return;
    }
    let dir = tempdir();
    let mut packets = 0;
    for sample in samples() {
        for format in ["pcapng", "pcap", "nsecpcap"] {
            let ours = path_in(&dir, "ours");
            let theirs = path_in(&dir, "theirs");
            let (out, err, code) = coffeeshark(&[
                "-r",
                &sample,
                "-Y",
                FILTER,
                "-w",
                ours.to_str().unwrap(),
                "-F",
                format,
            ]);
            assert_eq!((out.as_str(), err.as_str(), code), ("", "", 0), "{sample}");
            let (_, code) = tshark(&[
                "-r",
                &sample,
                "-Y",
                FILTER,
                "-w",
                theirs.to_str().unwrap(),
                "-F",
                format,
            ])
            .unwrap();
            assert_eq!(code, 0);
            let seen = seen_by_tshark(ours.to_str().unwrap());
            assert_eq!(
                seen,
                seen_by_tshark(theirs.to_str().unwrap()),
                "{sample} -F {format}"
            );
            packets += seen.lines().filter(|l| l.contains('→')).count();
        }
    }
    assert!(packets > 300, "only {packets} packets compared");
}

#[test]
fn p_prints_the_list_too_and_bad_formats_are_refused() {
    let dir = tempdir();
    let out_file = path_in(&dir, "out.pcapng");
    let (out, _, code) = coffeeshark(&[
        "-r",
        "sample_capture/coffee_brew.pcapng",
        "-Y",
        "tcp.flags.syn == 1",
        "-w",
        out_file.to_str().unwrap(),
        "-P",
    ]);
    assert_eq!(code, 0);
    let (direct, _, _) = coffeeshark(&[
        "-r",
        "sample_capture/coffee_brew.pcapng",
        "-Y",
        "tcp.flags.syn == 1",
    ]);
    assert_eq!(out, direct);
    // The file holds those packets: read back, one line each.
    let (back, _, _) = coffeeshark(&["-r", out_file.to_str().unwrap()]);
    assert_eq!(back.lines().count(), direct.lines().count());
    let (_, err, code) = coffeeshark(&[
        "-r",
        "sample_capture/coffee_brew.pcapng",
        "-w",
        out_file.to_str().unwrap(),
        "-F",
        "erf",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("\"erf\" isn't a valid capture file type"),
        "{err}"
    );
}
