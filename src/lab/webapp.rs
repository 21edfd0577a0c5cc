//! The web app of the lab: the browser speaks HTTP to it, it speaks HTCPCP to
//! the pot, over a new TCP connection for every HTCPCP request.
//!
//! Routes (all GET):
//! - `/`: the pot's status (asks the pot with GET) and, when it is not
//!   brewing, the brew form; with `?method=brew&message=start&pots=ducky&additions=cream&additions=rum`
//!   (the lab's form fields) it sends BREW and answers **302** to `/` on
//!   success; `method=when` sends WHEN (302); `method=propfind` shows the
//!   bean page; any other method name is sent as is (so `method=milk` shows
//!   the pot's 501).
//! - `/log`: the history, read from the pot's data directory (as the lab's
//!   app reads the pot's file).
//! - `/assets/{styles.css,coffee.gif,favicon.ico,robots.txt}`, `/favicon.ico`,
//!   `/robots.txt`: embedded in the binary, with `ETag` and `Last-Modified`;
//!   conditional requests get **304**.
//! - `/test-400`, `/test-404`, `/test-501`, `/test-415`: the lab's
//!   deliberately bad HTCPCP requests; the page shows the pot's answer.
//!
//! Every HTCPCP error (406 and 418 included) renders an error page naming
//! the status and its meaning, with the HTTP status set to the pot's code;
//! an unreachable pot is 502.
//!
//! Like the lab's Flask app, the server closes the connection after every
//! response (`Connection: close`) unless `keep_alive` is set, so captures
//! show one request per TCP connection.

use super::client::{build_request, exchange, Reply};
use super::clock::{parse_lab_date, seconds_until};
use super::form::{self, FormAction};
use super::htcpcp::{self, Status, ADDITIONS, ILLEGAL_ADDITION, POTS};
use super::log::Log;
use super::slots::Slots;
use super::state::{history_path, read_history, BeanInfo, BrewRecord};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use minijinja::{context, Environment};
use serde::Serialize;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Most bytes hyper buffers for one connection's request head.
pub const MAX_HEAD_BUF: usize = 64 * 1024;

/// How the web app is set up.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Address to listen on (port 0 = an ephemeral port).
    pub addr: SocketAddr,
    /// The pot, `host:port`.
    pub pot: String,
    /// The pot's data directory, for `/log`.
    pub data_dir: PathBuf,
    /// Bound on one HTCPCP exchange, and on reading a browser's request head.
    pub timeout: Duration,
    /// Keep HTTP connections open between requests (the lab's app does not).
    pub keep_alive: bool,
    /// Connections served at once.
    pub max_connections: usize,
    /// Serve HTTPS instead of HTTP.
    pub tls: Option<super::tls::TlsConfig>,
    pub log: Log,
}

impl WebConfig {
    /// The lab's defaults: port 5031 on every interface, the pot on 127.0.0.1:5030.
    pub fn new(data_dir: PathBuf) -> WebConfig {
        WebConfig {
            addr: SocketAddr::from(([0, 0, 0, 0], super::WEBAPP_PORT)),
            pot: format!("127.0.0.1:{}", super::POT_PORT),
            data_dir,
            timeout: Duration::from_secs(10),
            keep_alive: false,
            max_connections: 4096,
            tls: None,
            log: Log::off(),
        }
    }
}

/// An embedded static file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "styles.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("assets/styles.css"),
    },
    Asset {
        name: "coffee.gif",
        content_type: "image/gif",
        bytes: include_bytes!("assets/coffee.gif"),
    },
    Asset {
        name: "favicon.ico",
        content_type: "image/vnd.microsoft.icon",
        bytes: include_bytes!("assets/favicon.ico"),
    },
    Asset {
        name: "robots.txt",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("assets/robots.txt"),
    },
];

/// FNV-1a, 64 bits: a stable content hash for ETags.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

struct AppState {
    pot: String,
    /// The pot's data directory, where `/log` reads the history.
    data_dir: PathBuf,
    timeout: Duration,
    templates: Environment<'static>,
    /// Last-Modified of every asset: when this server started (whole seconds).
    started: SystemTime,
    log: Log,
}

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    let files = [
        ("base.html", include_str!("templates/base.html")),
        ("index.html", include_str!("templates/index.html")),
        ("error.html", include_str!("templates/error.html")),
        ("bean.html", include_str!("templates/bean.html")),
        ("log.html", include_str!("templates/log.html")),
    ];
    for (name, src) in files {
        env.add_template(name, src)
            .expect("the embedded templates are valid");
    }
    env
}

/// The router, for tests that want to call it without a socket.
fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/log", get(log_page))
        .route("/assets/{name}", get(asset))
        .route("/favicon.ico", get(favicon))
        .route("/robots.txt", get(robots))
        .route("/test-400", get(test_400))
        .route("/test-404", get(test_404))
        .route("/test-501", get(test_501))
        .route("/test-415", get(test_415))
        .fallback(not_found)
        .with_state(state)
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

impl AppState {
    fn render(&self, status: StatusCode, name: &str, ctx: minijinja::Value) -> Response {
        let ctx = context! { pot => self.pot, ..ctx };
        match self
            .templates
            .get_template(name)
            .and_then(|t| t.render(ctx))
        {
            Ok(body) => html(status, body),
            Err(e) => {
                self.log.line(format_args!("template {name} failed: {e}"));
                (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
            }
        }
    }

    /// One HTCPCP exchange on a new connection.
    async fn htcpcp(&self, request: &[u8]) -> io::Result<Reply> {
        let reply = exchange(&self.pot, request, self.timeout).await;
        let line = String::from_utf8_lossy(request.split(|&b| b == b'\r').next().unwrap_or(b""))
            .into_owned();
        match &reply {
            Ok(r) => self
                .log
                .line(format_args!("HTCPCP \"{line}\" -> {} {}", r.code, r.reason)),
            Err(e) => self.log.line(format_args!("HTCPCP \"{line}\" -> {e}")),
        }
        reply
    }

    fn error_page(
        &self,
        code: u16,
        reason: &str,
        request: &[u8],
        reply: Option<&Reply>,
    ) -> Response {
        let status = Status::from_code(code);
        let meaning = status.map_or(
            "The pot answered with a status the lab does not use.",
            Status::meaning,
        );
        let (accepted, detail) = match reply {
            Some(r) if code == 406 => match serde_json::from_str::<Vec<String>>(&r.body) {
                Ok(keys) => (
                    keys.iter()
                        .map(|k| format!("{} ({k})", htcpcp::addition_label(k)))
                        .collect::<Vec<_>>(),
                    String::new(),
                ),
                Err(_) => (Vec::new(), r.body.clone()),
            },
            Some(r) => (Vec::new(), r.body.clone()),
            None => (Vec::new(), String::new()),
        };
        let response = reply.map(|r| {
            let mut s = format!("{} {} {}\n", r.version, r.code, r.reason);
            for (n, v) in &r.headers {
                s.push_str(&format!("{n}: {v}\n"));
            }
            s.push('\n');
            s.push_str(&r.body);
            s
        });
        let http_status = StatusCode::from_u16(code)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::BAD_GATEWAY);
        self.render(
            http_status,
            "error.html",
            context! {
                title => format!("{code} {reason}"),
                code, reason, meaning, accepted, detail,
                request => String::from_utf8_lossy(request).replace("\r\n", "\n"),
                response,
            },
        )
    }

    fn pot_down(&self, request: &[u8], e: &io::Error) -> Response {
        self.render(
            StatusCode::BAD_GATEWAY,
            "error.html",
            context! {
                title => "502 Bad Gateway",
                code => 502, reason => "Bad Gateway",
                meaning => format!("The coffee pot at {} does not answer ({e}). Is `coffeeshark pot` running?", self.pot),
                request => String::from_utf8_lossy(request).replace("\r\n", "\n"),
            },
        )
    }

    /// Sends `request`; on success calls `ok`, otherwise renders the error.
    async fn exchange_or_error(
        &self,
        request: &[u8],
        ok: impl FnOnce(Reply) -> Response,
    ) -> Response {
        match self.htcpcp(request).await {
            Ok(r) if r.code == 200 => ok(r),
            Ok(r) => self.error_page(r.code, &r.reason.clone(), request, Some(&r)),
            Err(e) => self.pot_down(request, &e),
        }
    }
}

#[derive(Serialize)]
struct Choice {
    key: &'static str,
    label: &'static str,
    illegal: bool,
}

async fn index(State(app): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Response {
    match form::action(q.as_deref().unwrap_or("")) {
        FormAction::Home => homepage(&app).await,
        FormAction::Send(req) => app.exchange_or_error(&req, |_| redirect_home()).await,
        FormAction::Propfind(req) => {
            app.exchange_or_error(&req, |r| {
                let bean: Option<BeanInfo> = serde_json::from_str::<BeanInfo>(&r.body)
                    .ok()
                    .filter(|b| !b.name.is_empty());
                let title = bean
                    .as_ref()
                    .map_or("No bean".to_string(), |b| b.name.clone());
                app.render(StatusCode::OK, "bean.html", context! { title, bean })
            })
            .await
        }
        FormAction::Refused => bad_form(&app),
    }
}

fn bad_form(app: &AppState) -> Response {
    app.render(
        StatusCode::BAD_REQUEST,
        "error.html",
        context! {
            title => "400 Bad Request", code => 400, reason => "Bad Request",
            meaning => "The form sent a value the web app will not put into an HTCPCP request.",
        },
    )
}

fn redirect_home() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/")]).into_response()
}

async fn homepage(app: &AppState) -> Response {
    let req = build_request("GET", &format!("coffee://{}", htcpcp::HOST), &[], "");
    let reply = match app.htcpcp(&req).await {
        Ok(r) if r.code == 200 => r,
        Ok(r) => return app.error_page(r.code, &r.reason.clone(), &req, Some(&r)),
        Err(e) => return app.pot_down(&req, &e),
    };
    let brew: Option<BrewRecord> = serde_json::from_str(&reply.body).ok();
    let now = SystemTime::now();
    let remaining = brew
        .as_ref()
        .and_then(|b| parse_lab_date(&b.brew_time_end))
        .map_or(0, |end| seconds_until(end, now).max(0));
    let brewing = brew.is_some() && remaining > 0;
    let has_milk = brew.as_ref().is_some_and(|b| !b.pour_milk_start.is_empty());
    let additions: Vec<&str> = brew
        .as_ref()
        .map(|b| {
            b.additions
                .iter()
                .map(|a| htcpcp::addition_label(a))
                .collect()
        })
        .unwrap_or_default();
    let pots: Vec<Choice> = POTS
        .iter()
        .map(|&(key, label)| Choice {
            key,
            label,
            illegal: false,
        })
        .collect();
    let additions_offered: Vec<Choice> = ADDITIONS
        .iter()
        .map(|&(key, label)| Choice {
            key,
            label,
            illegal: false,
        })
        .chain(std::iter::once(Choice {
            key: ILLEGAL_ADDITION.0,
            label: ILLEGAL_ADDITION.1,
            illegal: true,
        }))
        .collect();
    app.render(
        StatusCode::OK,
        "index.html",
        context! {
            title => "Ducky's CoffeePot", brew, brewing, remaining, has_milk, additions,
            pots, additions_offered,
        },
    )
}

async fn log_page(State(app): State<Arc<AppState>>) -> Response {
    let dir = app.data_dir.clone();
    // Looked up at each request: a pot of an earlier version may still keep
    // the history under its old name.
    let read = tokio::task::spawn_blocking(move || read_history(&history_path(&dir))).await;
    let (mut brews, bad) = match read {
        Ok(Ok(r)) => r,
        _ => (Vec::new(), 0),
    };
    let count = brews.len();
    brews.reverse();
    app.render(
        StatusCode::OK,
        "log.html",
        context! { title => "CoffeePot Log", brews, count, bad },
    )
}

/// The lab's test routes: deliberately bad requests, the pot's answer shown.
async fn test_route(app: &AppState, raw: &str) -> Response {
    let req = raw.as_bytes();
    match app.htcpcp(req).await {
        Ok(r) => app.error_page(r.code, &r.reason.clone(), req, Some(&r)),
        Err(e) => app.pot_down(req, &e),
    }
}

const CT: &str = "Content-Type: application/coffee-pot-command";

async fn test_400(State(app): State<Arc<AppState>>) -> Response {
    test_route(
        &app,
        &format!("GET caffeine://ducky HTTP/1.1\r\n{CT}\r\n\r\n"),
    )
    .await
}

async fn test_404(State(app): State<Arc<AppState>>) -> Response {
    test_route(
        &app,
        &format!("GET coffee://psyduck HTTP/1.1\r\n{CT}\r\n\r\n"),
    )
    .await
}

async fn test_501(State(app): State<Arc<AppState>>) -> Response {
    test_route(
        &app,
        &format!("MILK coffee://ducky HTTP/1.1\r\n{CT}\r\n\r\n"),
    )
    .await
}

async fn test_415(State(app): State<Arc<AppState>>) -> Response {
    test_route(
        &app,
        "GET coffee://ducky HTTP/1.1\r\nContent-Type: application/tea-pot-command\r\n\r\n",
    )
    .await
}

async fn not_found(State(app): State<Arc<AppState>>) -> Response {
    app.render(
        StatusCode::NOT_FOUND,
        "error.html",
        context! {
            title => "404 Not Found", code => 404, reason => "Not Found",
            meaning => "The web app has no page at this address.",
        },
    )
}

/// Whether `If-None-Match` (a list, `*`, weak tags) matches `etag`.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

fn serve_asset(app: &AppState, name: &str, headers: &HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = format!("\"{:016x}\"", fnv1a(asset.bytes));
    let last_modified = httpdate::fmt_http_date(app.started);
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        // If-None-Match wins over If-Modified-Since (RFC 9110, 13.1.3).
        Some(inm) => inm.to_str().is_ok_and(|v| etag_matches(v, &etag)),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| app.started <= since),
    };
    let mut resp = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(asset.bytes));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        r
    };
    let h = resp.headers_mut();
    // no-cache: browsers keep the file but revalidate it, hence the 304s in captures.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    resp
}

async fn asset(
    State(app): State<Arc<AppState>>,
    axum::extract::Path(name): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    serve_asset(&app, &name, &headers)
}

async fn favicon(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    serve_asset(&app, "favicon.ico", &headers)
}

async fn robots(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    serve_asset(&app, "robots.txt", &headers)
}

/// A bound web app, not yet serving.
pub struct WebApp {
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    cert_pem: Option<String>,
    keep_alive: bool,
    timeout: Duration,
    max_connections: usize,
    log: Log,
}

/// A web app serving in a background task.
pub struct WebHandle {
    addr: SocketAddr,
    cert_pem: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl WebHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The certificate served over HTTPS (PEM), `None` for plain HTTP.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// Stops accepting and waits for open connections (bounded).
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.task.await.map_err(io::Error::other)?
    }
}

impl WebApp {
    pub async fn bind(cfg: WebConfig) -> io::Result<WebApp> {
        let tls = cfg.tls.as_ref().map(super::tls::setup).transpose()?;
        let listener = super::pot::bind_listener(cfg.addr)?;
        let state = Arc::new(AppState {
            pot: cfg.pot,
            data_dir: cfg.data_dir.clone(),
            timeout: cfg.timeout,
            templates: templates(),
            started: super::clock::whole_seconds(SystemTime::now()),
            log: cfg.log.clone(),
        });
        Ok(WebApp {
            listener,
            router: router(state),
            cert_pem: tls.as_ref().map(|t| t.cert_pem.clone()),
            tls: tls.map(|t| t.acceptor),
            keep_alive: cfg.keep_alive,
            timeout: cfg.timeout,
            max_connections: cfg.max_connections.max(1),
            log: cfg.log,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The certificate served over HTTPS (PEM), `None` for plain HTTP.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// Serves until `shutdown` completes, then waits (bounded) for open connections.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        // Idle connections (no request yet) give way to newcomers (see `slots`).
        let slots = Slots::new(self.max_connections);
        let mut http = hyper::server::conn::http1::Builder::new();
        // A head (and a write queue) over 64 KiB gets 431 rather than
        // hyper's default ~400 KiB per connection: thousands of connections
        // each holding a big unfinished head must not add up to gigabytes.
        http.keep_alive(self.keep_alive)
            .timer(TokioTimer::new())
            .header_read_timeout(self.timeout)
            .max_buf_size(MAX_HEAD_BUF);
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                _ = &mut shutdown => break,
                a = self.listener.accept() => match a {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors: free one an idle client holds.
                        self.log.line(format_args!("accept failed: {e}"));
                        let pause = if slots.evict_idle() { 5 } else { 50 };
                        tokio::time::sleep(Duration::from_millis(pause)).await;
                        continue;
                    }
                },
            };
            // Accepted first, then given a slot: an idle connection is
            // evicted only when a newcomer is really there.
            let mut slot = tokio::select! {
                _ = &mut shutdown => break,
                s = slots.admit() => s,
            };
            let evicted = slot.evicted();
            let slot = Arc::new(slot);
            // Each request is logged like the lab's dev server does:
            // peer, request line, status.
            let (router, log) = (self.router.clone(), self.log.clone());
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    // A whole head came: the connection is no longer idle.
                    slot.busy();
                    let line = format!("{} {} {:?}", req.method(), req.uri(), req.version());
                    let (mut router, log) = (router.clone(), log.clone());
                    async move {
                        let resp =
                            tower_service::Service::call(&mut router, req.map(Body::new)).await?;
                        log.line(format_args!("{peer} \"{line}\" {}", resp.status().as_u16()));
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
            let (http, tls, log) = (http.clone(), self.tls.clone(), self.log.clone());
            let log_after = log.clone();
            let (timeout, idle) = (self.timeout, self.timeout * 6);
            tokio::spawn(async move {
                // Bounded: a connection lives at most `idle` (keep-alive included).
                let serve = tokio::time::timeout(idle, async move {
                    match tls {
                        None => http.serve_connection(TokioIo::new(stream), service).await,
                        Some(acceptor) => {
                            match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                                Ok(Ok(tls)) => {
                                    http.serve_connection(TokioIo::new(tls), service).await
                                }
                                Ok(Err(e)) => {
                                    log.line(format_args!("{peer}: TLS handshake failed: {e}"));
                                    Ok(())
                                }
                                Err(_) => Ok(()),
                            }
                        }
                    }
                });
                // Evicted for a newcomer while idle: the connection is dropped.
                let served = tokio::select! {
                    s = serve => s,
                    _ = evicted => return,
                };
                // hyper's errors are about one connection; the server goes on.
                if let Ok(Err(e)) = served {
                    if !e.is_incomplete_message() {
                        log_after.line(format_args!("{peer}: {e}"));
                    }
                }
            });
        }
        drop(self.listener);
        let _ = tokio::time::timeout(self.timeout, slots.all_free()).await;
        Ok(())
    }

    pub fn spawn(self) -> io::Result<WebHandle> {
        let addr = self.local_addr()?;
        let cert_pem = self.cert_pem.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(self.run(async move {
            let _ = rx.await;
        }));
        Ok(WebHandle {
            addr,
            cert_pem,
            stop: Some(tx),
            task,
        })
    }
}

/// Binds and serves in the background.
pub async fn start(cfg: WebConfig) -> io::Result<WebHandle> {
    WebApp::bind(cfg).await?.spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_and_templates() {
        assert!(etag_matches("\"a\", W/\"b\"", "\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"a\"", "\"b\""));
        templates(); // every template parses
    }
}
