//! A real browser against the web app: headless Chromium (Debian's
//! `chromium`) loads the index page and the 418 page, dumps the DOM after
//! scripts ran and takes screenshots; the DOM must hold the expected text and
//! the screenshots must not be blank; over HTTPS (self-signed) too.
//!
//! Without Chromium the test is skipped, unless COFFEESHARK_REQUIRE_CHROMIUM
//! is set (`.ci/run` sets it): then it fails.
#![cfg(feature = "lab")]

#[path = "support/chromium.rs"]
mod chromium;
mod lab_support;
use chromium::find_chromium;

use coffeeshark::lab::log::Log;
use coffeeshark::lab::webapp::{self, WebConfig};
use lab_support::*;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs Chromium headless with the lab's flags; kills it after 90 s.
fn chromium(bin: &Path, profile: &Path, extra: &[String], url: &str) -> Vec<u8> {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--window-size=1000,800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(out.reopen().unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::read(out.path()).unwrap()
}

/// Decodes a PNG; checks it is the window's size and far from one colour.
fn assert_not_blank(png_path: &Path) {
    let file = std::fs::File::open(png_path).expect("screenshot written");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(
        info.width >= 800 && info.height >= 600,
        "{}x{}",
        info.width,
        info.height
    );
    let px = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(px).collect();
    let background = pixels[pixels.len() / 2 + 10];
    let mut colours = std::collections::HashSet::new();
    let mut differing = 0usize;
    for p in &pixels {
        if colours.len() < 1000 {
            colours.insert(p.to_vec());
        }
        if *p != background {
            differing += 1;
        }
    }
    assert!(
        colours.len() > 20,
        "only {} colours in {}",
        colours.len(),
        png_path.display()
    );
    assert!(
        differing * 20 > pixels.len(),
        "screenshot {} is nearly uniform",
        png_path.display()
    );
}

#[test]
fn headless_chromium_renders_the_index_and_the_teapot() {
    let Some(bin) = find_chromium() else {
        if std::env::var_os("COFFEESHARK_REQUIRE_CHROMIUM").is_some() {
            panic!("COFFEESHARK_REQUIRE_CHROMIUM is set but no chromium is on PATH (apt-get install chromium)");
        }
        eprintln!(
            "skipped: no chromium on PATH (set COFFEESHARK_REQUIRE_CHROMIUM=1 to fail instead)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (pot, web) = rt.block_on(async {
        let pot = start_pot(dir.path(), Duration::from_secs(60), Duration::from_secs(10)).await;
        let mut cfg = WebConfig::new(dir.path().to_path_buf());
        cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        cfg.pot = pot.addr().to_string();
        cfg.log = Log::off();
        (pot, webapp::start(cfg).await.unwrap())
    });
    let base = format!("http://{}", web.addr());
    let profile = tempfile::tempdir().unwrap();
    let shots = tempfile::tempdir().unwrap();

    let dom = String::from_utf8(chromium(
        &bin,
        profile.path(),
        &["--dump-dom".into()],
        &format!("{base}/"),
    ))
    .unwrap();
    assert!(dom.contains("Welcome to Ducky's CoffeePot"), "{dom}");
    assert!(dom.contains("The pot is idle"));
    assert!(dom.contains("Chamomile"));
    let index_png = shots.path().join("index.png");
    chromium(
        &bin,
        profile.path(),
        &[format!("--screenshot={}", index_png.display())],
        &format!("{base}/"),
    );
    assert_not_blank(&index_png);

    let teapot = format!("{base}/?method=brew&message=start&pots=tea");
    let dom = String::from_utf8(chromium(
        &bin,
        profile.path(),
        &["--dump-dom".into()],
        &teapot,
    ))
    .unwrap();
    assert!(dom.contains("<div class=\"code\">418</div>"), "{dom}");
    assert!(dom.contains("I'm a Teapot"));
    assert!(dom.contains("is a teapot"));
    let teapot_png = shots.path().join("teapot.png");
    chromium(
        &bin,
        profile.path(),
        &[format!("--screenshot={}", teapot_png.display())],
        &teapot,
    );
    assert_not_blank(&teapot_png);

    // The browser's requests went through the web app to the pot: nothing was brewed.
    let body = rt.block_on(raw(pot.addr(), &req("GET", "", ""))).body;
    assert_eq!(body, "{}");
    // HTTPS with the self-signed certificate: the browser proceeds anyway
    // (the lab's Task 8) and renders the same page.
    let https = rt.block_on(async {
        let mut cfg = WebConfig::new(dir.path().to_path_buf());
        cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        cfg.pot = pot.addr().to_string();
        cfg.tls = Some(coffeeshark::lab::tls::TlsConfig::default());
        cfg.log = Log::off();
        webapp::start(cfg).await.unwrap()
    });
    let url = format!("https://127.0.0.1:{}/", https.addr().port());
    let dom = String::from_utf8(chromium(
        &bin,
        profile.path(),
        &["--dump-dom".into(), "--ignore-certificate-errors".into()],
        &url,
    ))
    .unwrap();
    assert!(dom.contains("Welcome to Ducky's CoffeePot"), "{dom}");
    rt.block_on(https.shutdown()).unwrap();

    if let Ok(keep) = std::env::var("COFFEESHARK_KEEP_SCREENSHOTS") {
        std::fs::copy(&index_png, Path::new(&keep).join("index.png")).unwrap();
        std::fs::copy(&teapot_png, Path::new(&keep).join("teapot.png")).unwrap();
    }
    rt.block_on(async {
        web.shutdown().await.unwrap();
        pot.shutdown().await.unwrap();
    });
}
