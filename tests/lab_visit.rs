//! The scripted visit against the real servers (127.0.0.1, ephemeral ports),
//! over HTTP and HTTPS: the sequence of requests and statuses the lab's
//! captures show (200, 302, 304, 406, 418, and the four test routes).
#![cfg(feature = "lab")]

mod lab_support;

use coffeeshark::lab::log::Log;
use coffeeshark::lab::pot::PotHandle;
use coffeeshark::lab::tls::TlsConfig;
use coffeeshark::lab::visit::{self, Scenario, Step, VisitConfig};
use coffeeshark::lab::webapp::{self, WebConfig, WebHandle};
use lab_support::*;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

async fn lab(dir: &Path, tls: Option<TlsConfig>) -> (PotHandle, WebHandle) {
    let pot = start_pot(dir, Duration::from_millis(1500), Duration::from_secs(10)).await;
    let mut cfg = WebConfig::new(dir.to_path_buf());
    cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.pot = pot.addr().to_string();
    cfg.tls = tls;
    cfg.log = Log::off();
    (pot, webapp::start(cfg).await.unwrap())
}

/// The page requests (not assets) as (target, status).
fn pages(steps: &[Step]) -> Vec<(String, u16)> {
    steps
        .iter()
        .filter(|s| !s.target.starts_with("/assets/"))
        .map(|s| (s.target.clone(), s.status))
        .collect()
}

fn assets_after_first_load_are_304(steps: &[Step]) {
    let mut seen = HashSet::new();
    for s in steps.iter().filter(|s| s.target.starts_with("/assets/")) {
        if seen.insert(s.target.clone()) {
            assert_eq!((s.status, s.conditional), (200, false), "{s:?}");
            assert!(s.body_len > 0);
        } else {
            assert_eq!(
                (s.status, s.conditional, s.body_len),
                (304, true, 0),
                "{s:?}"
            );
        }
    }
    assert_eq!(seen.len(), 3, "stylesheet, icon and gif");
}

fn one_connection_per_request(steps: &[Step]) {
    let ports: HashSet<SocketAddr> = steps.iter().map(|s| s.local).collect();
    assert_eq!(
        ports.len(),
        steps.len(),
        "every request on its own TCP connection"
    );
}

fn owned(v: &[(&str, u16)]) -> Vec<(String, u16)> {
    v.iter().map(|(t, s)| (t.to_string(), *s)).collect()
}

const BREW: &str = "/?method=brew&message=start&pots=ducky&additions=cream&additions=rum";
const TEA: &str = "/?method=brew&message=start&pots=tea";
const CHAMOMILE: &str = "/?method=brew&message=start&pots=ducky&additions=tea";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let (pot, web) = lab(dir.path(), None).await;
    let cfg = VisitConfig::new(format!("http://{}", web.addr()));

    let steps = visit::run(cfg.clone(), Scenario::Homepage).await.unwrap();
    assert_eq!(pages(&steps), owned(&[("/", 200), ("/", 200)]));
    assert_eq!(steps.len(), 8);
    assets_after_first_load_are_304(&steps);
    one_connection_per_request(&steps);

    let steps = visit::run(cfg.clone(), Scenario::Brew).await.unwrap();
    assert_eq!(
        pages(&steps),
        owned(&[
            ("/", 200),
            (BREW, 302),
            ("/", 200),
            ("/?method=propfind", 200),
            ("/", 200),
            ("/?method=when", 302),
            ("/", 200),
            ("/log", 200),
        ])
    );
    assets_after_first_load_are_304(&steps);
    one_connection_per_request(&steps);
    // The visit waited for the brew, so WHEN stopped the milk.
    let current = raw(pot.addr(), &req("GET", "", "")).await.body;
    assert!(current.contains("\"pour_milk_stop\":true"), "{current}");

    let steps = visit::run(cfg.clone(), Scenario::TeapotChamomile)
        .await
        .unwrap();
    assert_eq!(
        pages(&steps),
        owned(&[
            ("/", 200),
            (TEA, 418),
            (CHAMOMILE, 406),
            ("/test-400", 400),
            ("/test-404", 404),
            ("/test-501", 501),
            ("/test-415", 415),
        ])
    );
    assets_after_first_load_are_304(&steps);
    web.shutdown().await.unwrap();
    pot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_visit_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.log");
    let tls = TlsConfig {
        key_log: Some(keys.clone()),
        ..TlsConfig::default()
    };
    let (pot, web) = lab(dir.path(), Some(tls)).await;
    let mut cfg = VisitConfig::new(format!("https://localhost:{}", web.addr().port()));
    cfg.trust_pem = web.certificate_pem().map(str::to_string);
    let steps = visit::run(cfg.clone(), Scenario::Full).await.unwrap();
    let statuses: Vec<u16> = pages(&steps).iter().map(|p| p.1).collect();
    assert_eq!(
        statuses,
        [200, 200, 200, 302, 200, 200, 200, 302, 200, 200, 418, 406, 400, 404, 501, 415]
    );
    assets_after_first_load_are_304(&steps);
    one_connection_per_request(&steps);
    // One TLS session per connection, each in the key log.
    let log = std::fs::read_to_string(&keys).unwrap();
    let sessions = log
        .lines()
        .filter(|l| l.starts_with("CLIENT_TRAFFIC_SECRET_0 "))
        .count();
    assert_eq!(sessions, steps.len());

    // Without trusting the certificate the visit fails; "proceed anyway" works.
    cfg.trust_pem = None;
    assert!(visit::run(cfg.clone(), Scenario::Homepage).await.is_err());
    cfg.insecure = true;
    let steps = visit::run(cfg, Scenario::Homepage).await.unwrap();
    assert_eq!(steps.len(), 8);
    web.shutdown().await.unwrap();
    pot.shutdown().await.unwrap();
}
