//! A fuzzed capture through the whole pipeline to the lab report, in every
//! task and every format (Markdown, HTML, JSON).
//!
//! What must hold: the JSON report is valid JSON; every frame number it
//! cites (`"frame": N`) is one of the frames read; Markdown and HTML come out.

use coffeeshark::report::answers;
use coffeeshark::view;

/// Every `"frame": N` (and `"frames": [..]`) number in a JSON value.
fn cited(v: &serde_json::Value, out: &mut Vec<u64>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("frame", serde_json::Value::Number(n)) => out.extend(n.as_u64()),
                    ("frames", serde_json::Value::Array(a)) => {
                        out.extend(a.iter().filter_map(serde_json::Value::as_u64))
                    }
                    _ => cited(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| cited(v, out)),
        _ => {}
    }
}

/// One input through the target (see the module doc).
pub fn run(input: &[u8]) {
    let (frames, facts) = crate::collect(input, false, 200);
    let r = answers::answer(&facts, "fuzz", &answers::TASKS);
    let json = view::report::json(&r);
    let v: serde_json::Value = serde_json::from_str(&json).expect("the JSON report parses");
    let mut numbers = Vec::new();
    cited(&v, &mut numbers);
    for n in numbers {
        assert!(
            (1..=frames).contains(&n),
            "the report cites frame {n} of {frames}"
        );
    }
    assert!(!view::report::markdown(&r, Some("diagram.svg")).is_empty());
    assert!(!view::report::html(&r, None).is_empty());
}
