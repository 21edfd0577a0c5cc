//! Many filters against tshark in one run per capture: a Lua script
//! registers one tap per filter (`Listener.new(nil, FILTER)`; a filter
//! tshark refuses makes `Listener.new` fail, with tshark's message) and
//! writes, per filter, `OK n,n,...` (the frames it matched) or `ERR msg`.
//! Our side compiles each filter with the library and runs them all over
//! one pass of the capture. One tshark start (~0.3 s) for hundreds of
//! filters instead of one each.

#![allow(dead_code)]

use coffeeshark::filter::Filter;
use coffeeshark::pipeline::Analyzer;
use coffeeshark::source::CaptureReader;
use std::path::Path;

const SCRIPT: &str = r#"
local results, n = {}, 0
for line in io.lines(os.getenv("FZ_IN")) do
  n = n + 1
  local idx = n
  local ok, l = pcall(Listener.new, nil, line)
  if ok then
    results[idx] = {}
    l.packet = function(pinfo) table.insert(results[idx], pinfo.number) end
  else
    results[idx] = "ERR " .. tostring(l):gsub("\n", " ")
  end
end
local done = false
local last = Listener.new(nil, nil)
function last.draw()
  if done then return end
  done = true
  local out = io.open(os.getenv("FZ_OUT"), "w")
  for k = 1, n do
    local r = results[k]
    if type(r) == "table" then out:write("OK ", table.concat(r, ","), "\n")
    else out:write(r, "\n") end
  end
  out:close()
end
"#;

/// A filter's verdict and frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Frames(Vec<u64>),
    /// Refused, with the message (tshark's or ours).
    Refused(String),
}

impl Outcome {
    pub fn same_as(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Frames(a), Outcome::Frames(b)) => a == b,
            (Outcome::Refused(_), Outcome::Refused(_)) => true,
            _ => false,
        }
    }
}

/// tshark's outcome for each filter (one line each, no newlines), or
/// `None` when tshark is not installed (a failure when
/// `COFFEESHARK_REQUIRE_TSHARK` is set).
pub fn theirs(file: &Path, filters: &[String]) -> Option<Vec<Outcome>> {
    let dir = tempfile::tempdir().unwrap();
    let (script, input, output) = (
        dir.path().join("batch.lua"),
        dir.path().join("in.txt"),
        dir.path().join("out.txt"),
    );
    std::fs::write(&script, SCRIPT).unwrap();
    std::fs::write(&input, filters.join("\n") + "\n").unwrap();
    let run = std::process::Command::new("tshark")
        .args(["-q", "-r"])
        .arg(file)
        .arg("-X")
        .arg(format!("lua_script:{}", script.display()))
        .env("FZ_IN", &input)
        .env("FZ_OUT", &output)
        .output();
    if let Err(e) = run {
        if std::env::var_os("COFFEESHARK_REQUIRE_TSHARK").is_some() {
            panic!("tshark is required (COFFEESHARK_REQUIRE_TSHARK is set) but could not run: {e}");
        }
        eprintln!("tshark not found: skipping the comparison ({e})");
        return None;
    }
    let text = std::fs::read_to_string(&output).expect("the Lua script wrote its results");
    let out: Vec<Outcome> = text
        .lines()
        .map(|l| match l.strip_prefix("OK ") {
            Some(list) => Outcome::Frames(
                list.split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().unwrap())
                    .collect(),
            ),
            None => Outcome::Refused(
                l.trim_start_matches("ERR ")
                    .split(" is invalid - ")
                    .nth(1)
                    .unwrap_or(l)
                    .to_string(),
            ),
        })
        .collect();
    assert_eq!(out.len(), filters.len(), "one result per filter");
    Some(out)
}

/// Our outcome for each filter: compiled by the library, evaluated over
/// one pass of the capture.
pub fn ours(file: &Path, filters: &[String]) -> Vec<Outcome> {
    let compiled: Vec<Result<Filter, String>> = filters
        .iter()
        .map(|f| Filter::compile(f).map_err(|e| e.message))
        .collect();
    let mut frames: Vec<Vec<u64>> = vec![Vec::new(); filters.len()];
    let mut reader = CaptureReader::open(file).unwrap();
    let mut analyzer = Analyzer::new();
    while let Some(raw) = reader.next_frame().unwrap() {
        let pkt = analyzer.process(&raw);
        let pf = coffeeshark::filter::values::PacketFields::new(&pkt);
        for (i, f) in compiled.iter().enumerate() {
            if let Ok(f) = f {
                if f.matches_fields(&pf) {
                    frames[i].push(pkt.frame.number);
                }
            }
        }
    }
    compiled
        .into_iter()
        .zip(frames)
        .map(|(c, fr)| match c {
            Ok(_) => Outcome::Frames(fr),
            Err(m) => Outcome::Refused(m),
        })
        .collect()
}

/// Compares both on `file`; returns the differences as readable lines and
/// how many filters matched at least one frame in both.
pub fn compare(file: &Path, filters: &[String]) -> Option<(Vec<String>, usize)> {
    let t = theirs(file, filters)?;
    let o = ours(file, filters);
    let mut diffs = Vec::new();
    let mut nonempty = 0;
    for ((f, a), b) in filters.iter().zip(&t).zip(&o) {
        if !a.same_as(b) {
            diffs.push(format!(
                "{}: {f}\n    tshark: {}\n    ours:   {}",
                file.display(),
                short(a),
                short(b)
            ));
        } else if matches!(a, Outcome::Frames(v) if !v.is_empty()) {
            nonempty += 1;
        }
    }
    Some((diffs, nonempty))
}

fn short(o: &Outcome) -> String {
    let s = format!("{o:?}");
    s.chars().take(160).collect()
}
