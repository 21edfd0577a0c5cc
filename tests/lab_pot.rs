//! The pot on a real socket (127.0.0.1, ephemeral port): every status code of
//! the lab, milk and WHEN, state across restarts, oversized and slow clients.
#![cfg(feature = "lab")]

mod lab_support;

use coffeeshark::lab::clock::parse_lab_date;
use coffeeshark::lab::htcpcp::{ADDITIONS, BEANS, SCHEMES};
use coffeeshark::lab::state::{read_history, BrewRecord, CURRENT_FILE, HISTORY_FILE};
use lab_support::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LONG: Duration = Duration::from_secs(60);
const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_code_of_the_lab() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(dir.path(), LONG, TIMEOUT).await;
    let a = pot.addr();

    // 200 on an idle pot: GET and PROPFIND answer {} with the success headers.
    let r = raw(a, &req("GET", "", "")).await;
    assert_eq!(
        (r.version.as_str(), r.code, r.reason.as_str()),
        ("HTCPCP/1.1", 200, "OK")
    );
    assert_eq!(r.header("Server"), Some("CoffeePot"));
    assert_eq!(r.header("Content-Type"), Some("message/coffeepot"));
    assert!(parse_lab_date(r.header("Date").unwrap()).is_some(), "{r:?}");
    assert_eq!(r.body, "{}");
    assert_eq!(raw(a, &req("PROPFIND", "", "")).await.body, "{}");

    // The lab's four test routes send exactly these.
    let r = raw(a, &format!("GET caffeine://ducky HTTP/1.1\r\n{CT}\r\n")).await;
    assert_eq!((r.code, r.reason.as_str()), (400, "Bad Request"));
    let r = raw(a, &format!("GET coffee://psyduck HTTP/1.1\r\n{CT}\r\n")).await;
    assert_eq!((r.code, r.reason.as_str()), (404, "Not Found"));
    let r = raw(a, &format!("MILK coffee://ducky HTTP/1.1\r\n{CT}\r\n")).await;
    assert_eq!((r.code, r.reason.as_str()), (501, "Not Implemented"));
    let r = raw(
        a,
        "GET coffee://ducky HTTP/1.1\r\nContent-Type: application/tea-pot-command\r\n\r\n",
    )
    .await;
    assert_eq!((r.code, r.reason.as_str()), (415, "Unsupported Media Type"));
    // No Content-Type at all is 415 too; a malformed start line is 400.
    assert_eq!(
        raw(a, "GET coffee://ducky HTTP/1.1\r\n\r\n").await.code,
        415
    );
    for bad in [
        "GET\r\n\r\n",
        "GET coffee://ducky\r\n\r\n",
        "GET coffee://ducky SPDY/3\r\n\r\n",
        "\r\n\r\n",
        "BREW  coffee://ducky HTTP/1.1\r\n\r\n",
    ] {
        assert_eq!(raw(a, bad).await.code, 400, "{bad:?}");
    }
    // Unknown pot 404, teapot 418 (for every method, as the lab's pot).
    assert_eq!(
        raw(a, &req("BREW", "Use-Pot: pot-7\r\n", "start"))
            .await
            .code,
        404
    );
    let r = raw(a, &req("BREW", "Use-Pot: tea\r\n", "start")).await;
    assert_eq!((r.code, r.reason.as_str()), (418, "I'm a Teapot"));
    assert_eq!(raw(a, &req("GET", "Use-Pot: tea\r\n", "")).await.code, 418);
    // 406 for chamomile: the body lists the accepted additions.
    let r = raw(a, &req("BREW", "Accept-Additions: cream; tea\r\n", "start")).await;
    assert_eq!((r.code, r.reason.as_str()), (406, "Not Acceptable"));
    let listed: Vec<String> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        listed,
        ADDITIONS
            .iter()
            .map(|(k, _)| k.to_string())
            .collect::<Vec<_>>()
    );
    // A BREW body that is neither start nor stop.
    assert_eq!(raw(a, &req("BREW", "", "espresso")).await.code, 400);
    // Nothing so far was brewed.
    assert_eq!(raw(a, &req("GET", "", "")).await.body, "{}");

    // 200 for a brew (lab style, no Content-Length), then 406 Pot is busy.
    let r = raw(
        a,
        &req(
            "BREW",
            "Accept-Additions: cream; Rum\r\nUse-Pot: ducky\r\n",
            "start",
        ),
    )
    .await;
    assert_eq!(r.code, 200, "{r:?}");
    let brew: BrewRecord = serde_json::from_str(&r.body).unwrap();
    assert_eq!(brew.additions, ["cream", "rum"]);
    assert_eq!(brew.beverage_type, "Coffee");
    assert_eq!(brew.pour_milk_start, brew.brew_time_end);
    assert!(BEANS.iter().any(|b| b.name == brew.coffee_bean.name));
    let end = parse_lab_date(&brew.brew_time_end).unwrap();
    let start = parse_lab_date(&brew.date).unwrap();
    assert!(end.duration_since(start).unwrap() >= Duration::from_secs(59));
    let r = raw(a, &req("POST", "Content-Length: 5\r\n", "start")).await;
    assert_eq!(
        (r.code, r.reason.as_str(), r.body.as_str()),
        (406, "Not Acceptable", "Pot is busy")
    );
    // GET and PROPFIND show the brew and its bean; the file holds it too.
    let got: BrewRecord = serde_json::from_str(&raw(a, &req("GET", "", "")).await.body).unwrap();
    assert_eq!(got, brew);
    let bean: serde_json::Value =
        serde_json::from_str(&raw(a, &req("PROPFIND", "", "")).await.body).unwrap();
    assert_eq!(bean["name"], brew.coffee_bean.name.as_str());
    let on_disk: BrewRecord =
        serde_json::from_slice(&std::fs::read(dir.path().join(CURRENT_FILE)).unwrap()).unwrap();
    assert_eq!(on_disk, brew);
    // Stop, then the pot is idle again and can brew.
    assert_eq!(raw(a, &req("BREW", "", "stop")).await.code, 200);
    assert_eq!(raw(a, &req("GET", "", "")).await.body, "{}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(CURRENT_FILE)).unwrap(),
        "{}"
    );
    assert_eq!(raw(a, &req("BREW", "", "start")).await.code, 200);
    let (history, bad) = read_history(&dir.path().join(HISTORY_FILE)).unwrap();
    assert_eq!((history.len(), bad), (2, 0));
    assert_eq!(history[0], brew);
    pot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_23_schemes_and_rfc_version() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(dir.path(), LONG, TIMEOUT).await;
    for scheme in SCHEMES {
        let r = raw(
            pot.addr(),
            &format!("GET {scheme}://ducky HTCPCP/1.0\r\n{CT}\r\n"),
        )
        .await;
        assert_eq!(r.code, 200, "{scheme}");
    }
    // Unencoded UTF-8 is the same scheme once decoded.
    let r = raw(
        pot.addr(),
        &format!("GET кофе://ducky/ HTTP/1.1\r\n{CT}\r\n"),
    )
    .await;
    assert_eq!(r.code, 200);
    pot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn milk_pours_when_brewing_ends_and_when_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(dir.path(), Duration::from_millis(1500), TIMEOUT).await;
    let a = pot.addr();
    let r = raw(
        a,
        &req("BREW", "Accept-Additions: oat milk; vanilla\r\n", "start"),
    )
    .await;
    assert_eq!(r.code, 200);
    // Too early: nothing is pouring, WHEN changes nothing.
    let early: BrewRecord = serde_json::from_str(&raw(a, &req("WHEN", "", "")).await.body).unwrap();
    assert!(!early.pour_milk_stop);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let late: BrewRecord = serde_json::from_str(&raw(a, &req("WHEN", "", "")).await.body).unwrap();
    assert!(late.pour_milk_stop);
    let on_disk: BrewRecord =
        serde_json::from_slice(&std::fs::read(dir.path().join(CURRENT_FILE)).unwrap()).unwrap();
    assert!(on_disk.pour_milk_stop);
    // Brewing is over, so a new brew is welcome; without milk there is no pouring.
    let r = raw(a, &req("BREW", "Accept-Additions: whisky\r\n", "start")).await;
    let plain: BrewRecord = serde_json::from_str(&r.body).unwrap();
    assert_eq!(plain.pour_milk_start, "");
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let w: BrewRecord = serde_json::from_str(&raw(a, &req("WHEN", "", "")).await.body).unwrap();
    assert!(!w.pour_milk_stop);
    pot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_history_and_forgets_the_brew() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(dir.path(), LONG, TIMEOUT).await;
    assert_eq!(raw(pot.addr(), &req("BREW", "", "start")).await.code, 200);
    assert_ne!(raw(pot.addr(), &req("GET", "", "")).await.body, "{}");
    pot.shutdown().await.unwrap();

    let pot = start_pot(dir.path(), LONG, TIMEOUT).await;
    assert_eq!(raw(pot.addr(), &req("GET", "", "")).await.body, "{}");
    assert_eq!(
        raw(pot.addr(), &req("BREW", "", "start")).await.code,
        200,
        "not busy after a restart"
    );
    let (history, bad) = read_history(&dir.path().join(HISTORY_FILE)).unwrap();
    assert_eq!((history.len(), bad), (2, 0));
    pot.shutdown().await.unwrap();
}

/// Reads until the pot closes; the bytes and whether it closed within `limit`.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return (out, false),
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_get_413_and_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(dir.path(), LONG, TIMEOUT).await;
    // A head that never ends.
    let mut s = TcpStream::connect(pot.addr()).await.unwrap();
    let mut big = format!("GET coffee://ducky HTTP/1.1\r\n{CT}X-Filler: ").into_bytes();
    big.resize(70 * 1024, b'a');
    let _ = s.write_all(&big).await; // the pot may stop reading before the end
    let (resp, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(closed, "connection closed");
    assert!(
        resp.starts_with(b"HTCPCP/1.1 413 "),
        "{:?}",
        String::from_utf8_lossy(&resp)
    );
    // A declared body over the limit is refused before it is sent.
    let mut s = TcpStream::connect(pot.addr()).await.unwrap();
    s.write_all(req("BREW", "Content-Length: 100000\r\n", "").as_bytes())
        .await
        .unwrap();
    let (resp, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(closed);
    assert!(resp.starts_with(b"HTCPCP/1.1 413 Request Entity Too Large\r\n"));
    // Just under the limit is fine.
    let filler = "b".repeat(60 * 1024);
    let r = raw(
        pot.addr(),
        &req("GET", &format!("X-Filler: {filler}\r\n"), ""),
    )
    .await;
    assert_eq!(r.code, 200);
    pot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_trickling_clients_are_timed_out() {
    let dir = tempfile::tempdir().unwrap();
    let timeout = Duration::from_millis(300);
    let pot = start_pot(dir.path(), LONG, timeout).await;
    // Sends nothing.
    let t0 = Instant::now();
    let mut s = TcpStream::connect(pot.addr()).await.unwrap();
    let (resp, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(closed);
    assert!(resp.starts_with(b"HTCPCP/1.1 408 Request Timeout\r\n"));
    let waited = t0.elapsed();
    assert!(
        waited >= timeout && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    // Trickles one byte every 50 ms (the request would take seconds): the
    // whole request has one deadline, so the pot hangs up soon after it,
    // long before the client is done.
    let t0 = Instant::now();
    let s = TcpStream::connect(pot.addr()).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let request = req("GET", "X-Slow: yes\r\n", "");
    let writer = tokio::spawn(async move {
        for b in request.into_bytes() {
            if wr.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut resp = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), rd.read_to_end(&mut resp)).await;
    let cut_after = t0.elapsed();
    writer.abort();
    assert!(read.is_ok(), "the pot never hung up");
    assert!(
        resp.starts_with(b"HTCPCP/1.1 408 "),
        "{:?}",
        String::from_utf8_lossy(&resp)
    );
    assert!(
        cut_after < Duration::from_millis(1500),
        "cut off after {cut_after:?}"
    );
    // And the pot still serves others.
    assert_eq!(raw(pot.addr(), &req("GET", "", "")).await.code, 200);
    pot.shutdown().await.unwrap();
}

/// Students run the lab's own Flask app on our pot's data directory: it
/// reads `currently_brewing.json` with `json.load` and `past_coffees.json`
/// as JSON Lines (`json.loads` per line). A Python reader doing exactly that
/// sees the brew the pot answers with and the history in order, with the
/// lab's record keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_labs_app_reads_our_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let pot = start_pot(&db, LONG, TIMEOUT).await;
    let a = pot.addr();
    assert_eq!(raw(a, &req("BREW", "", "start")).await.code, 200);
    assert_eq!(raw(a, &req("BREW", "", "stop")).await.code, 200);
    assert_eq!(raw(a, &req("BREW", "", "start")).await.code, 200);
    let current = raw(a, &req("GET", "", "")).await.body;
    let reader = r#"
import json, sys
d = sys.argv[1]
with open(d + "/currently_brewing.json") as f:
    current = json.load(f)
with open(d + "/past_coffees.json") as f:
    past = [json.loads(line) for line in f if line.strip()]
print(json.dumps({"current": current, "past": past}))
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(reader)
        .arg(&db)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let current: serde_json::Value = serde_json::from_str(&current).unwrap();
    assert_eq!(seen["current"], current);
    let (history, bad) = read_history(&db.join(HISTORY_FILE)).unwrap();
    assert_eq!((history.len(), bad), (2, 0));
    let past = seen["past"].as_array().unwrap();
    assert_eq!(past.len(), 2);
    for (p, h) in past.iter().zip(&history) {
        assert_eq!(p, &serde_json::to_value(h).unwrap());
        let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "additions",
                "beverage_type",
                "brew_time_end",
                "coffee_bean",
                "date",
                "pour_milk_start",
                "pour_milk_stop"
            ]
        );
    }
    assert_eq!(past[1], current);
    pot.shutdown().await.unwrap();
}
