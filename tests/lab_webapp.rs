//! The web app on a real socket, in front of a real pot (both on 127.0.0.1
//! ephemeral ports): every page, every HTCPCP status as a page, the lab's
//! form fields, 302 after a brew, assets with 304 revalidation.
#![cfg(feature = "lab")]

mod lab_support;

use coffeeshark::lab::htcpcp::{ADDITIONS, BEANS};
use coffeeshark::lab::log::Log;
use coffeeshark::lab::webapp::{self, WebConfig, WebHandle};
use lab_support::*;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

async fn start_web(dir: &Path, pot: SocketAddr) -> WebHandle {
    let mut cfg = WebConfig::new(dir.to_path_buf());
    cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.pot = pot.to_string();
    cfg.log = Log::off();
    webapp::start(cfg).await.expect("web app starts")
}

/// Text as the templates write it (minijinja's HTML escaping, `/` included).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

/// GETs `target` and checks the status; returns the page.
async fn page(web: SocketAddr, target: &str, status: u16) -> String {
    let (code, headers, body) = http_get(web, target, "").await;
    let body = text(&body);
    assert_eq!(code, status, "GET {target}: {body}");
    assert_eq!(
        header(&headers, "connection"),
        Some("close"),
        "one request per connection, as the lab"
    );
    if status != 302 {
        assert_eq!(
            header(&headers, "content-type"),
            Some("text/html; charset=utf-8")
        );
        assert!(body.starts_with("<!doctype html>") && body.trim_end().ends_with("</html>"));
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_every_htcpcp_status() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(dir.path(), Duration::from_secs(60), Duration::from_secs(10)).await;
    let web = start_web(dir.path(), pot.addr()).await;
    let w = web.addr();

    // Idle pot: status and the form with both pots, 18 additions and Chamomile.
    let home = page(w, "/", 200).await;
    assert!(home.contains("The pot is idle"));
    assert!(home.contains("id=\"brew-form\""));
    for (key, label) in ADDITIONS {
        assert!(
            home.contains(&format!("name=\"additions\" value=\"{key}\"> {label}")),
            "{key}"
        );
    }
    assert!(home.contains("name=\"additions\" value=\"tea\"> Chamomile"));
    assert!(home.contains("value=\"ducky\" checked> Ducky&#x27;s Coffee Pot"));
    assert!(home.contains("value=\"tea\"> Ducky&#x27;s Tea Pot"));
    let bean = page(w, "/?method=propfind", 200).await;
    assert!(bean.contains("Nothing is brewing"));

    // The lab's own form submission: 302 to /, then the page shows the brew.
    let (code, headers, _) = http_get(
        w,
        "/?method=brew&message=start&pots=ducky&additions=cream&additions=rum",
        "",
    )
    .await;
    assert_eq!((code, header(&headers, "location")), (302, Some("/")));
    let home = page(w, "/", 200).await;
    assert!(home.contains("Brewing coffee since"), "{home}");
    assert!(home.contains("Additions: Cream, Rum."));
    assert!(home.contains("id=\"countdown\""));
    assert!(home.contains("Milk will pour when brewing ends"));
    assert!(!home.contains("id=\"brew-form\""), "no form while brewing");

    // The bean page shows the bean the pot chose.
    let bean = page(w, "/?method=propfind", 200).await;
    let chosen = BEANS
        .iter()
        .find(|b| bean.contains(&format!("<h1 id=\"bean\">{}</h1>", esc(b.name))))
        .expect("a bean of the lab");
    for field in [
        chosen.origin,
        chosen.kind,
        chosen.roast,
        chosen.strength,
        chosen.profile,
    ] {
        assert!(
            bean.contains(&format!("<dd>{}</dd>", esc(field))),
            "{field} in {bean}"
        );
    }

    // 406 Pot is busy, as a page with HTTP status 406.
    let busy = page(w, "/?method=brew&message=start&pots=ducky", 406).await;
    assert!(busy.contains("<h1 id=\"reason\">Not Acceptable</h1>"));
    assert!(busy.contains("Pot is busy"));

    // Task 7: 418 and 406 (chamomile) pages naming the status and its meaning.
    let teapot = page(w, "/?method=brew&message=start&pots=tea", 418).await;
    assert!(teapot.contains("<div class=\"code\">418</div>"));
    assert!(
        teapot.contains("<h1 id=\"reason\">I&#x27;m a Teapot</h1>")
            || teapot.contains("<h1 id=\"reason\">I'm a Teapot</h1>"),
        "{teapot}"
    );
    assert!(teapot.contains("is a teapot"));
    assert!(teapot.contains("Use-Pot: tea"), "shows the HTCPCP exchange");
    let chamomile = page(
        w,
        "/?method=brew&message=start&pots=ducky&additions=tea",
        406,
    )
    .await;
    assert!(chamomile.contains("<h1 id=\"reason\">Not Acceptable</h1>"));
    assert!(chamomile.contains("<li>Oat milk (oat milk)</li>"));
    assert!(chamomile.contains("chamomile is not an addition"));

    // The lab's test routes.
    for (route, code, reason) in [
        ("/test-400", 400, "Bad Request"),
        ("/test-404", 404, "Not Found"),
        ("/test-501", 501, "Not Implemented"),
        ("/test-415", 415, "Unsupported Media Type"),
    ] {
        let p = page(w, route, code).await;
        assert!(
            p.contains(&format!("<div class=\"code\">{code}</div>")),
            "{route}"
        );
        assert!(
            p.contains(&format!("<h1 id=\"reason\">{reason}</h1>")),
            "{route}"
        );
    }
    // Any other method name goes to the pot: 501.
    page(w, "/?method=milk", 501).await;
    // A header injection through the form is refused by the web app itself.
    let p = page(
        w,
        "/?method=brew&message=start&additions=cream%0D%0AUse-Pot:%20tea",
        400,
    )
    .await;
    assert!(p.contains("will not put into an HTCPCP request"));
    page(
        w,
        "/?method=brew&message=start&pots=ducky&additions=rum%00",
        400,
    )
    .await;
    // A BREW body that is neither start nor stop: the pot's 400.
    page(w, "/?method=brew&message=espresso", 400).await;

    // Stop, then idle again; the log lists the one brew.
    let (code, _, _) = http_get(w, "/?method=brew&message=stop", "").await;
    assert_eq!(code, 302);
    assert!(page(w, "/", 200).await.contains("The pot is idle"));
    let log = page(w, "/log", 200).await;
    assert!(log.contains("1 coffee brewed."), "{log}");
    assert!(log.contains(&esc(chosen.name)) && log.contains("cream, rum"));

    // The web app's own 404.
    let missing = page(w, "/no-such-page", 404).await;
    assert!(missing.contains("no page at this address"));
    web.shutdown().await.unwrap();
    pot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn milk_and_when() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(
        dir.path(),
        Duration::from_millis(300),
        Duration::from_secs(10),
    )
    .await;
    let web = start_web(dir.path(), pot.addr()).await;
    let w = web.addr();
    let (code, _, _) = http_get(
        w,
        "/?method=brew&message=start&pots=ducky&additions=oat+milk",
        "",
    )
    .await;
    assert_eq!(code, 302);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let home = page(w, "/", 200).await;
    assert!(home.contains("Coffee is ready"), "{home}");
    assert!(home.contains("Milk is pouring"));
    assert!(home.contains("href=\"/?method=when\""));
    assert!(
        home.contains("id=\"brew-form\""),
        "a finished pot takes orders"
    );
    let (code, headers, _) = http_get(w, "/?method=when", "").await;
    assert_eq!((code, header(&headers, "location")), (302, Some("/")));
    assert!(page(w, "/", 200).await.contains("you said WHEN"));
    let log = page(w, "/log", 200).await;
    assert!(log.contains("oat milk") && log.contains("1 coffee brewed."));
    web.shutdown().await.unwrap();
    pot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pot_that_is_down_is_a_502_page() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bind, learn the port, close.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let web = start_web(dir.path(), closed).await;
    let p = page(web.addr(), "/", 502).await;
    assert!(p.contains("does not answer"));
    page(web.addr(), "/test-418-does-not-exist", 404).await;
    web.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_revalidate_with_304() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let web = start_web(dir.path(), closed).await;
    let w = web.addr();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lab/assets");
    for (path, file, ctype) in [
        (
            "/assets/styles.css",
            "styles.css",
            "text/css; charset=utf-8",
        ),
        ("/assets/coffee.gif", "coffee.gif", "image/gif"),
        (
            "/assets/favicon.ico",
            "favicon.ico",
            "image/vnd.microsoft.icon",
        ),
        (
            "/assets/robots.txt",
            "robots.txt",
            "text/plain; charset=utf-8",
        ),
        ("/favicon.ico", "favicon.ico", "image/vnd.microsoft.icon"),
        ("/robots.txt", "robots.txt", "text/plain; charset=utf-8"),
    ] {
        let (code, h, body) = http_get(w, path, "").await;
        assert_eq!(code, 200, "{path}");
        assert_eq!(body, std::fs::read(root.join(file)).unwrap(), "{path}");
        assert_eq!(header(&h, "content-type"), Some(ctype));
        let etag = header(&h, "etag").expect("ETag").to_string();
        let modified = header(&h, "last-modified")
            .expect("Last-Modified")
            .to_string();
        assert!(httpdate::parse_http_date(&modified).is_ok());

        // If-None-Match with the tag: 304, no body.
        let (code, h2, body) = http_get(w, path, &format!("If-None-Match: {etag}\r\n")).await;
        assert_eq!((code, body.len()), (304, 0), "{path}");
        assert_eq!(header(&h2, "etag"), Some(etag.as_str()));
        // A weak comparison and a list match too.
        let (code, _, _) = http_get(w, path, &format!("If-None-Match: \"x\", W/{etag}\r\n")).await;
        assert_eq!(code, 304);
        // If-Modified-Since the Last-Modified: 304; a day earlier: 200.
        let (code, _, _) = http_get(w, path, &format!("If-Modified-Since: {modified}\r\n")).await;
        assert_eq!(code, 304);
        let earlier = httpdate::fmt_http_date(
            httpdate::parse_http_date(&modified).unwrap() - Duration::from_secs(86_400),
        );
        let (code, _, body) = http_get(w, path, &format!("If-Modified-Since: {earlier}\r\n")).await;
        assert_eq!((code, body.is_empty()), (200, false));
        // A different tag wins over a matching date (RFC 9110).
        let (code, _, _) = http_get(
            w,
            path,
            &format!("If-None-Match: \"other\"\r\nIf-Modified-Since: {modified}\r\n"),
        )
        .await;
        assert_eq!(code, 200);
    }
    let (code, _, _) = http_get(w, "/assets/nope.js", "").await;
    assert_eq!(code, 404);
    web.shutdown().await.unwrap();
}
