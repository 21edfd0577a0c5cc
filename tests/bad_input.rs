//! Bad input gets a clear error and loses nothing: every complete packet
//! before the damage is printed, then one line on stderr says what is wrong
//! and where, and the exit status is non-zero. Nothing panics.

mod support;

use support::*;

fn fixture_pcap(dir: &tempfile::TempDir) -> (std::path::PathBuf, Vec<u8>) {
    let path = path_in(dir, "ok.pcap");
    let c = TcpConn::new(Link::Ethernet, LOOPBACK_V4, 55433, 5030).exchange(b"brew\n", b"coffee\n");
    write_pcap(&path, 1, &c.frames, PCAP_US);
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked"), "panicked: {stderr}");
}

#[test]
fn missing_file() {
    let (out, err, code) = coffeeshark(&["read", "/nonexistent/coffee.pcap"]);
    assert_eq!(out, "");
    assert_eq!(code, 2);
    assert!(
        err.contains("could not be opened") && err.contains("No such file"),
        "{err}"
    );
}

#[test]
fn not_a_capture_says_what_it_looks_like() {
    let dir = tempdir();
    let text = path_in(&dir, "notes.pcap");
    std::fs::write(&text, "GET / HTTP/1.1\r\nHost: ducky\r\n\r\n").unwrap();
    let (_, err, code) = coffeeshark(&["read", text.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not a capture file") && err.contains("text (starts with \"GET / HTTP/1.1"),
        "{err}"
    );

    let empty = path_in(&dir, "empty.pcapng");
    std::fs::write(&empty, b"").unwrap();
    let (_, err, code) = coffeeshark(&["read", empty.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("an empty file"), "{err}");

    let zip = path_in(&dir, "capture.zip");
    std::fs::write(&zip, b"PK\x03\x04rest of a zip").unwrap();
    let (_, err, _) = coffeeshark(&["read", zip.to_str().unwrap()]);
    assert!(err.contains("a ZIP archive"), "{err}");
}

#[test]
fn cut_short_in_the_middle_of_a_packet() {
    let dir = tempdir();
    let (full, bytes) = fixture_pcap(&dir);
    let (all, _, _) = coffeeshark(&["read", full.to_str().unwrap()]);
    let all_lines: Vec<&str> = all.lines().collect();
    // Last record: 16-byte record header + 66-byte frame; cut 10 bytes into its data.
    let last_len = 16 + 66;
    let cut_at = bytes.len() - last_len + 16 + 10;
    let cut = path_in(&dir, "cut.pcap");
    std::fs::write(&cut, &bytes[..cut_at]).unwrap();
    let (out, err, code) = coffeeshark(&["read", cut.to_str().unwrap()]);
    no_panic(&err);
    assert_ne!(code, 0);
    let got: Vec<&str> = out.lines().collect();
    assert_eq!(
        got,
        all_lines[..all_lines.len() - 1],
        "every complete packet is printed"
    );
    let offset = bytes.len() - last_len;
    assert_eq!(
        err.trim_end(),
        format!("coffeeshark: the capture file appears to have been cut short in the middle of a packet (offset {offset})")
    );
    if let Some((theirs, tcode)) = tshark(&["-r", cut.to_str().unwrap()]) {
        assert_ne!(tcode, 0);
        pretty_diff(&theirs, &out, "truncated pcap vs tshark");
    }
}

#[test]
fn cut_short_pcapng_and_gzip() {
    let dir = tempdir();
    let c = TcpConn::new(Link::NullLe, LOOPBACK_V4, 55433, 5030).exchange(b"brew\n", b"coffee\n");
    let ng = path_in(&dir, "ok.pcapng");
    write_pcapng(
        &ng,
        &[NgInterface {
            linktype: 0,
            name: "lo0",
        }],
        &c.frames,
    );
    let bytes = std::fs::read(&ng).unwrap();
    let cut = path_in(&dir, "cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let (out, err, code) = coffeeshark(&["read", cut.to_str().unwrap()]);
    no_panic(&err);
    assert_ne!(code, 0);
    assert_eq!(out.lines().count(), c.frames.len() - 1);
    assert!(
        err.contains("cut short in the middle of a packet (offset"),
        "{err}"
    );

    // The same cut, gzip-compressed, then the compressed stream cut too.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &bytes[..bytes.len() - 7]).unwrap();
    let gz = enc.finish().unwrap();
    let gz_path = path_in(&dir, "cut.pcapng.gz");
    std::fs::write(&gz_path, &gz).unwrap();
    let (out_gz, err_gz, code) = coffeeshark(&["read", gz_path.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert_eq!(out_gz, out);
    assert_eq!(
        err_gz, err,
        "same message and offset (offsets count decompressed bytes)"
    );
    std::fs::write(&gz_path, &gz[..gz.len() / 2]).unwrap();
    let (_, err, code) = coffeeshark(&["read", gz_path.to_str().unwrap()]);
    no_panic(&err);
    assert_ne!(code, 0);
    assert!(err.contains("cut short"), "{err}");
}

#[test]
fn zero_packets() {
    let dir = tempdir();
    let p = path_in(&dir, "empty.pcap");
    write_pcap(&p, 1, &[], PCAP_US);
    let (out, err, code) = coffeeshark(&["read", p.to_str().unwrap()]);
    assert_eq!((out.as_str(), err.as_str(), code), ("", "", 0));
    let ng = path_in(&dir, "empty.pcapng");
    write_pcapng(
        &ng,
        &[NgInterface {
            linktype: 1,
            name: "lo",
        }],
        &[],
    );
    let (out, err, code) = coffeeshark(&["read", ng.to_str().unwrap(), "-T", "json"]);
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("[]\n", "", 0),
        "tshark prints [] too"
    );
}

#[test]
fn header_cut_short() {
    let dir = tempdir();
    let (_, bytes) = fixture_pcap(&dir);
    let p = path_in(&dir, "header.pcap");
    std::fs::write(&p, &bytes[..10]).unwrap();
    let (_, err, code) = coffeeshark(&["read", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cut short") && err.contains("(offset 0)"),
        "{err}"
    );
}

#[test]
fn packet_larger_than_its_block() {
    let dir = tempdir();
    let frame = Link::Ethernet.frame(&[0x45; 40]);
    let mut bytes = ng::shb(false);
    bytes.extend(ng::idb(false, 1, 9, "lo"));
    let good = ng::epb(false, 0, 1, &frame);
    bytes.extend(&good);
    let bad_at = bytes.len();
    let mut bad = ng::epb(false, 0, 2, &frame);
    bad[20..24].copy_from_slice(&4000u32.to_le_bytes()); // caplen far beyond the block
    bytes.extend(&bad);
    let p = path_in(&dir, "bad.pcapng");
    std::fs::write(&p, &bytes).unwrap();
    let (out, err, code) = coffeeshark(&["read", p.to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 2);
    assert_eq!(
        out.lines().count(),
        1,
        "the good packet before the damage is shown"
    );
    assert!(
        err.contains(&format!("(offset {bad_at})"))
            && err.contains("too small for 4000 bytes of packet data"),
        "{err}"
    );
}

#[test]
fn pcap_record_claiming_a_huge_packet() {
    let dir = tempdir();
    let (_, mut bytes) = fixture_pcap(&dir);
    // First record header starts at 24; caplen at +8.
    bytes[24 + 8..24 + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let p = path_in(&dir, "huge.pcap");
    std::fs::write(&p, &bytes).unwrap();
    let (out, err, code) = coffeeshark(&["read", p.to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.contains("bigger than maximum of 262144") && err.contains("(offset 24)"),
        "{err}"
    );
}

#[test]
fn unknown_link_type_and_ethertype_still_get_a_line() {
    let dir = tempdir();
    let p = path_in(&dir, "odd.pcapng");
    let mut bytes = ng::shb(false);
    bytes.extend(ng::idb(false, 147, 6, "user0"));
    bytes.extend(ng::idb(false, 1, 6, "eth0"));
    bytes.extend(ng::epb(false, 0, 1_000_000, b"\x01\x02\x03"));
    let mut lldp = vec![0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc];
    lldp.extend_from_slice(&[0; 20]);
    bytes.extend(ng::epb(false, 1, 2_000_000, &lldp));
    bytes.extend(ng::epb(false, 1, 3_000_000, &[0u8; 5])); // shorter than an Ethernet header
    std::fs::write(&p, &bytes).unwrap();
    let (out, err, code) = coffeeshark(&["read", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].ends_with("UNKNOWN 3 Unknown link type 147"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with("Ethernet 34 Ethertype 0x88cc"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("[Malformed Packet]"), "{}", lines[2]);
}

#[test]
fn bad_interface_index() {
    let dir = tempdir();
    let mut bytes = ng::shb(false);
    bytes.extend(ng::idb(false, 1, 6, "lo"));
    bytes.extend(ng::epb(false, 3, 1, &Link::Ethernet.frame(&[0x45; 20])));
    let p = path_in(&dir, "iface.pcapng");
    std::fs::write(&p, &bytes).unwrap();
    let (_, err, code) = coffeeshark(&["read", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("interface index 3 is not less than the interface count 1"),
        "{err}"
    );
}
