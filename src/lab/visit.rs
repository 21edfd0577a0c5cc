//! The scripted visit: drives the web app over HTTP or HTTPS as a browser
//! would, so that a capture of it shows what the lab's captures show.
//!
//! The "browser" opens a new TCP connection per request (the web app closes
//! after each response, as the lab's does), sends a browser's headers, loads
//! the stylesheet, the icon and the images a page names, keeps `ETag` and
//! `Last-Modified` of what it loaded and revalidates them on the next page
//! (`If-None-Match`, `If-Modified-Since`: the 304s of the lab's Task 6),
//! follows redirects (the 302 after a brew), and waits for a brew's
//! countdown like a person would before saying WHEN.
//!
//! Scenarios, named after the lab's captures:
//! - `homepage`: the base page and its assets, then a reload (304s);
//! - `brew`: the page, a brew with milk (302, then the page), the bean page,
//!   the wait for the brew, WHEN (302, then the page), the log;
//! - `418_406`: the page, a brew on the teapot (418 page), a brew with
//!   chamomile (406 page), then the four test routes (400, 404, 501, 415);
//! - `full`: all three in that order.

use super::log::Log;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// A scenario of the visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Homepage,
    Brew,
    TeapotChamomile,
    Full,
}

impl Scenario {
    pub const NAMES: [&'static str; 4] = ["homepage", "brew", "418_406", "full"];

    pub fn from_name(name: &str) -> Option<Scenario> {
        match name {
            "homepage" => Some(Scenario::Homepage),
            "brew" => Some(Scenario::Brew),
            "418_406" | "errors" => Some(Scenario::TeapotChamomile),
            "full" => Some(Scenario::Full),
            _ => None,
        }
    }
}

/// How to reach the web app.
#[derive(Debug, Clone)]
pub struct VisitConfig {
    /// `http://HOST:PORT` or `https://HOST:PORT`.
    pub base: String,
    /// For HTTPS: the certificate to trust (PEM), e.g. the lab's self-signed one.
    pub trust_pem: Option<String>,
    /// For HTTPS: accept any certificate (as a user clicking "proceed anyway").
    pub insecure: bool,
    /// Bound on each request.
    pub timeout: Duration,
    /// Longest wait for a brew to finish before saying WHEN.
    pub brew_wait: Duration,
    pub log: Log,
}

impl VisitConfig {
    pub fn new(base: impl Into<String>) -> VisitConfig {
        VisitConfig {
            base: base.into(),
            trust_pem: None,
            insecure: false,
            timeout: Duration::from_secs(15),
            brew_wait: Duration::from_secs(60),
            log: Log::off(),
        }
    }
}

/// One request of the visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub target: String,
    pub status: u16,
    /// Whether the request was conditional (a revalidation).
    pub conditional: bool,
    pub body_len: usize,
    /// The browser's end of the TCP connection.
    pub local: SocketAddr,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Cached {
    etag: Option<String>,
    last_modified: Option<String>,
}

struct Browser {
    cfg: VisitConfig,
    host: String,
    server_name: String,
    tls: Option<tokio_rustls::TlsConnector>,
    cache: HashMap<String, Cached>,
    steps: Vec<Step>,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

/// Accepts any certificate: the user clicked "proceed anyway".
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn connector(cfg: &VisitConfig) -> io::Result<tokio_rustls::TlsConnector> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?;
    let mut config = if cfg.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let pem = cfg
            .trust_pem
            .as_deref()
            .ok_or_else(|| invalid("HTTPS needs a certificate to trust, or --insecure"))?;
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots
                .add(c.map_err(|e| invalid(e.to_string()))?)
                .map_err(|e| invalid(e.to_string()))?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Reads one response: head, then `Content-Length` bytes, or to the close.
async fn read_response<S: AsyncRead + Unpin>(s: &mut S) -> io::Result<Response> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 || buf.len() > 1 << 20 {
            return Err(invalid("the web app closed before a whole response head"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| invalid("a malformed status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[head_end + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let no_body = status == 304 || status == 204 || (100..200).contains(&status);
    match length {
        _ if no_body => body.clear(),
        Some(len) => {
            while body.len() < len {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    return Err(invalid("the web app closed in the middle of a body"));
                }
                body.extend_from_slice(&chunk[..n]);
            }
            body.truncate(len);
        }
        None => {
            // Read to the close; a TLS peer closing without close_notify is fine here.
            loop {
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => body.extend_from_slice(&chunk[..n]),
                }
                if body.len() > 1 << 24 {
                    break;
                }
            }
        }
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    req: &[u8],
) -> io::Result<Response> {
    s.write_all(req).await?;
    s.flush().await?;
    let resp = read_response(s).await?;
    if resp
        .header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    {
        // As a browser does: the server announced it closes, so let it close
        // first (its FIN, then ours), as in the lab's captures.
        let mut sink = [0u8; 4096];
        while let Ok(n) = s.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    }
    Ok(resp)
}

/// `(scheme is https, host:port authority, host)` of a base URL.
fn parse_base(base: &str) -> io::Result<(bool, String, String)> {
    let (https, rest) = if let Some(r) = base.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = base.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(invalid(format!("not an http:// or https:// URL: {base}")));
    };
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return Err(invalid(format!("no host in {base}")));
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("").to_string()
    } else {
        authority
            .rsplit_once(':')
            .map_or(authority, |(h, _)| h)
            .to_string()
    };
    let authority = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_string()
    } else {
        format!("{authority}:{}", if https { 443 } else { 80 })
    };
    Ok((https, authority, host))
}

/// The assets a page names: stylesheet, icon, images, in order.
fn subresources(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in html.split('<').skip(1) {
        let attr = if tag.starts_with("link ") {
            if !(tag.contains("rel=\"stylesheet\"") || tag.contains("rel=\"icon\"")) {
                continue;
            }
            "href=\""
        } else if tag.starts_with("img ") || tag.starts_with("script ") {
            "src=\""
        } else {
            continue;
        };
        if let Some(v) = tag.split(attr).nth(1).and_then(|r| r.split('"').next()) {
            if v.starts_with('/') && !out.iter().any(|o| o == v) {
                out.push(v.to_string());
            }
        }
    }
    out
}

impl Browser {
    fn new(cfg: VisitConfig) -> io::Result<Browser> {
        let (https, host, server_name) = parse_base(&cfg.base)?;
        let tls = if https { Some(connector(&cfg)?) } else { None };
        Ok(Browser {
            cfg,
            host,
            server_name,
            tls,
            cache: HashMap::new(),
            steps: Vec::new(),
        })
    }

    /// One request on a new connection.
    async fn get(&mut self, target: &str, conditional: bool) -> io::Result<Response> {
        let mut req = format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\nUser-Agent: coffeeshark-visit/{}\r\nAccept: */*\r\nConnection: keep-alive\r\n",
            self.host.trim_end_matches(":80").trim_end_matches(":443"),
            env!("CARGO_PKG_VERSION"),
        );
        let cached = self.cache.get(target).filter(|_| conditional);
        if let Some(c) = cached {
            if let Some(e) = &c.etag {
                req.push_str(&format!("If-None-Match: {e}\r\n"));
            }
            if let Some(m) = &c.last_modified {
                req.push_str(&format!("If-Modified-Since: {m}\r\n"));
            }
        }
        req.push_str("\r\n");
        let was_conditional = cached.is_some();
        let work = async {
            let tcp = TcpStream::connect(&self.host).await?;
            tcp.set_nodelay(true)?;
            let local = tcp.local_addr()?;
            let resp = match &self.tls {
                None => {
                    let mut tcp = tcp;
                    exchange(&mut tcp, req.as_bytes()).await?
                }
                Some(connector) => {
                    let name = ServerName::try_from(self.server_name.clone())
                        .map_err(|e| invalid(e.to_string()))?;
                    let mut tls = connector.connect(name, tcp).await?;
                    let r = exchange(&mut tls, req.as_bytes()).await?;
                    let _ = tls.shutdown().await;
                    r
                }
            };
            Ok::<_, io::Error>((resp, local))
        };
        let (resp, local) = tokio::time::timeout(self.cfg.timeout, work)
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("GET {target}: no answer in time"),
                )
            })??;
        self.cfg.log.line(format_args!(
            "{local} GET {target}{} -> {} ({} bytes)",
            if was_conditional { " (revalidate)" } else { "" },
            resp.status,
            resp.body.len()
        ));
        self.steps.push(Step {
            target: target.to_string(),
            status: resp.status,
            conditional: was_conditional,
            body_len: resp.body.len(),
            local,
        });
        if resp.status == 200 {
            let etag = resp.header("etag").map(str::to_string);
            let last_modified = resp.header("last-modified").map(str::to_string);
            if etag.is_some() || last_modified.is_some() {
                self.cache.insert(
                    target.to_string(),
                    Cached {
                        etag,
                        last_modified,
                    },
                );
            }
        }
        Ok(resp)
    }

    /// A page as a browser loads it: follows redirects, then fetches the
    /// page's assets (revalidating those it has). Returns the page's HTML.
    async fn page(&mut self, target: &str) -> io::Result<(u16, String)> {
        let mut target = target.to_string();
        let mut resp = self.get(&target, false).await?;
        for _ in 0..5 {
            if !matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
                break;
            }
            let loc = resp.header("location").unwrap_or("/").to_string();
            target = if loc.starts_with('/') {
                loc
            } else {
                "/".into()
            };
            resp = self.get(&target, false).await?;
        }
        let html = String::from_utf8_lossy(&resp.body).into_owned();
        for asset in subresources(&html) {
            self.get(&asset, true).await?;
        }
        Ok((resp.status, html))
    }

    /// Seconds left on the page's countdown, if it shows one.
    fn countdown(html: &str) -> Option<u64> {
        html.split("data-seconds=\"")
            .nth(1)?
            .split('"')
            .next()?
            .parse()
            .ok()
    }

    async fn homepage(&mut self) -> io::Result<()> {
        self.page("/").await?;
        self.page("/").await?; // a reload: the assets are revalidated (304)
        Ok(())
    }

    async fn brew(&mut self) -> io::Result<()> {
        self.page("/").await?;
        let (_, html) = self
            .page("/?method=brew&message=start&pots=ducky&additions=cream&additions=rum")
            .await?;
        self.page("/?method=propfind").await?;
        // Wait for the countdown, as a person would, then say WHEN.
        if let Some(left) = Browser::countdown(&html) {
            let wait = Duration::from_secs(left + 1).min(self.cfg.brew_wait);
            tokio::time::sleep(wait).await;
            self.page("/").await?;
        }
        self.page("/?method=when").await?;
        self.page("/log").await?;
        Ok(())
    }

    async fn teapot_chamomile(&mut self, with_page: bool) -> io::Result<()> {
        if with_page {
            self.page("/").await?;
        }
        self.page("/?method=brew&message=start&pots=tea").await?;
        self.page("/?method=brew&message=start&pots=ducky&additions=tea")
            .await?;
        for route in ["/test-400", "/test-404", "/test-501", "/test-415"] {
            self.page(route).await?;
        }
        Ok(())
    }
}

/// Runs a scenario; returns every request made, in order.
pub async fn run(cfg: VisitConfig, scenario: Scenario) -> io::Result<Vec<Step>> {
    let mut b = Browser::new(cfg)?;
    match scenario {
        Scenario::Homepage => b.homepage().await?,
        Scenario::Brew => b.brew().await?,
        Scenario::TeapotChamomile => b.teapot_chamomile(true).await?,
        Scenario::Full => {
            b.homepage().await?;
            b.brew().await?;
            b.teapot_chamomile(false).await?;
        }
    }
    Ok(b.steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_assets() {
        assert_eq!(
            parse_base("http://127.0.0.1:5031").unwrap(),
            (false, "127.0.0.1:5031".into(), "127.0.0.1".into())
        );
        assert_eq!(
            parse_base("https://localhost/").unwrap(),
            (true, "localhost:443".into(), "localhost".into())
        );
        assert!(parse_base("ftp://x").is_err());
        let html = r#"<link rel="stylesheet" href="/assets/styles.css"><link rel="icon" href="/assets/favicon.ico"><img src="/assets/coffee.gif" width="32"><a href="/log">"#;
        assert_eq!(
            subresources(html),
            [
                "/assets/styles.css",
                "/assets/favicon.ico",
                "/assets/coffee.gif"
            ]
        );
        assert_eq!(Browser::countdown(r#"<span data-seconds="29">"#), Some(29));
    }
}
