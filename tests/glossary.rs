//! `coffeeshark -G fields` and `-G protocols`, the glossaries tools read
//! from tshark (completion, field pickers), against tshark 4.0's: every
//! protocol line we print is tshark's line for that protocol (but HTCPCP's,
//! which tshark lacks), and every field we print has tshark's name, type
//! and protocol where tshark knows the field.

mod support;

use std::collections::HashMap;
use support::*;

#[test]
fn protocols_equal_tsharks_lines() {
    let Some((theirs, _)) = tshark(&["-G", "protocols"]) else {
        return;
    };
    let theirs: HashMap<&str, &str> = theirs
        .lines()
        .filter_map(|l| Some((l.rsplit('\t').next()?, l)))
        .collect();
    let (ours, _, code) = coffeeshark(&["-G", "protocols"]);
    assert_eq!(code, 0);
    let mut compared = 0;
    for line in ours.lines() {
        let abbrev = line.rsplit('\t').next().unwrap();
        if abbrev.starts_with("htcpcp") {
            assert_eq!(
                line,
                "Hyper Text Coffee Pot Control Protocol\tHTCPCP\thtcpcp"
            );
            continue;
        }
        assert_eq!(Some(&line), theirs.get(abbrev), "protocol {abbrev}");
        compared += 1;
    }
    assert!(compared >= 15, "{compared}");
}

#[test]
fn fields_have_tsharks_types_and_protocols() {
    let Some((theirs, _)) = tshark(&["-G", "fields"]) else {
        return;
    };
    // F, description, name, type, protocol, base, bitmask, blurb.
    let theirs: HashMap<&str, Vec<&str>> = theirs
        .lines()
        .filter(|l| l.starts_with("F\t"))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c.len() > 4)
        .map(|c| (c[2], c))
        .collect();
    let (ours, _, code) = coffeeshark(&["-G", "fields"]);
    assert_eq!(code, 0);
    let (listing, _, _) = coffeeshark(&["fields"]);
    assert_eq!(ours, listing, "-G fields is the fields command's listing");
    let mut compared = 0;
    for line in ours.lines().filter(|l| l.starts_with("F\t")) {
        let c: Vec<&str> = line.split('\t').collect();
        // Known: coffeeshark keeps the SLL address as its bytes whatever
        // its length; Wireshark registers an FT_ETHER view of 6-byte ones.
        if c[2] == "sll.src.eth" {
            continue;
        }
        let Some(t) = theirs.get(c[2]) else { continue };
        assert_eq!((c[3], c[4]), (t[3], t[4]), "field {}", c[2]);
        compared += 1;
    }
    assert!(compared > 150, "only {compared} fields compared");
}

#[test]
fn other_reports_are_refused() {
    let (_, err, code) = coffeeshark(&["-G", "plugins"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("Invalid \"plugins\" option for -G flag"),
        "{err}"
    );
}
