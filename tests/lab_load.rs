//! Load on loopback, bounded in count and time: 2,000 concurrent HTCPCP
//! clients (BREW and GET) against the pot, then concurrent browsers against
//! the web app. Zero errors, and the history matches the brews that were
//! acknowledged.
#![cfg(feature = "lab")]

mod lab_support;

use coffeeshark::lab::client::{build_request, exchange};
use coffeeshark::lab::clock::parse_lab_date;
use coffeeshark::lab::htcpcp::BEANS;
use coffeeshark::lab::log::Log;
use coffeeshark::lab::state::{read_history, BrewRecord, HISTORY_FILE};
use coffeeshark::lab::webapp::{self, WebConfig};
use lab_support::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Concurrent clients: 2,000, fewer if the open-file limit would not allow
/// both ends of every connection in this one process.
fn concurrency() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1024);
    2000.min(soft.saturating_sub(256) * 2 / 5).max(100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_clients_zero_errors_consistent_history() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(
        dir.path(),
        Duration::from_millis(20),
        Duration::from_secs(10),
    )
    .await;
    let addr = pot.addr().to_string();
    let clients = concurrency();
    println!("{clients} concurrent clients per round");

    let t0 = Instant::now();
    let (mut total, mut acked_brews, mut busy, mut errors) = (0usize, 0usize, 0usize, Vec::new());
    // At most 5 rounds and about 3 seconds, whichever comes first.
    for round in 0..5 {
        if round > 0 && t0.elapsed() > Duration::from_secs(3) {
            break;
        }
        let mut tasks = Vec::with_capacity(clients);
        for i in 0..clients {
            let addr = addr.clone();
            tasks.push(tokio::spawn(async move {
                let brew = i % 4 == 0;
                let req = if brew {
                    build_request(
                        "BREW",
                        "coffee://ducky",
                        &[("Accept-Additions", "cream")],
                        "start",
                    )
                } else {
                    build_request("GET", "coffee://ducky", &[], "")
                };
                (brew, exchange(&addr, &req, Duration::from_secs(30)).await)
            }));
        }
        for t in tasks {
            let (brew, reply) = t.await.expect("client task");
            total += 1;
            match reply {
                Ok(r) if brew && r.code == 200 => acked_brews += 1,
                Ok(r) if brew && r.code == 406 && r.body == "Pot is busy" => busy += 1,
                Ok(r) if !brew && r.code == 200 && r.header("Server") == Some("CoffeePot") => {}
                Ok(r) => errors.push(format!("{} {} {}", r.code, r.reason, r.body)),
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    let elapsed = t0.elapsed();
    println!(
        "{total} exchanges in {elapsed:?}: {acked_brews} brews, {busy} busy, {} errors",
        errors.len()
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(total >= clients);
    assert!(
        acked_brews >= 1 && busy >= 1,
        "both outcomes of BREW occurred"
    );

    // The history holds exactly the acknowledged brews, in time order, and
    // the current brew is the last of them.
    let (history, bad) = read_history(&dir.path().join(HISTORY_FILE)).unwrap();
    assert_eq!((history.len(), bad), (acked_brews, 0));
    let dates: Vec<_> = history
        .iter()
        .map(|b| parse_lab_date(&b.date).unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]));
    assert!(history
        .iter()
        .all(|b| BEANS.iter().any(|x| x.name == b.coffee_bean.name)));
    let current: BrewRecord =
        serde_json::from_str(&raw(pot.addr(), &req("GET", "", "")).await.body).unwrap();
    assert_eq!(&current, history.last().unwrap());
    pot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_browsers_on_the_web_app() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(
        dir.path(),
        Duration::from_millis(20),
        Duration::from_secs(10),
    )
    .await;
    let mut cfg = WebConfig::new(dir.path().to_path_buf());
    cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.pot = pot.addr().to_string();
    cfg.log = Log::off();
    let web = webapp::start(cfg).await.unwrap();
    let w = web.addr();
    // 500 browsers at once, each: the page (one HTCPCP GET behind it), an
    // asset, and every tenth a brew. Bounded: one round.
    let mut tasks = Vec::new();
    for i in 0..500usize {
        tasks.push(tokio::spawn(async move {
            let mut codes = vec![
                http_get(w, "/", "").await.0,
                http_get(w, "/assets/styles.css", "").await.0,
            ];
            if i % 10 == 0 {
                codes.push(
                    http_get(w, "/?method=brew&message=start&pots=ducky", "")
                        .await
                        .0,
                );
            }
            codes
        }));
    }
    let (mut redirects, mut busy) = (0, 0);
    for t in tasks {
        let codes = t.await.expect("browser task");
        assert_eq!(&codes[..2], &[200, 200]);
        match codes.get(2) {
            Some(302) => redirects += 1,
            Some(406) => busy += 1,
            Some(other) => panic!("brew answered {other}"),
            None => {}
        }
    }
    assert_eq!(redirects + busy, 50);
    let (history, bad) = read_history(&dir.path().join(HISTORY_FILE)).unwrap();
    assert_eq!((history.len(), bad), (redirects, 0));
    web.shutdown().await.unwrap();
    pot.shutdown().await.unwrap();
}
