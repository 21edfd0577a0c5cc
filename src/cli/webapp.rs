//! `coffeeshark webapp`: the lab's web app on TCP 5031, talking HTCPCP to the pot.

use super::pot::{bind_ip, data_dir, parse_seconds, runtime, shutdown_signal};
use anyhow::{Context, Result};
use clap::Args;
use coffeeshark::lab::log::Log;
use coffeeshark::lab::tls::TlsConfig;
use coffeeshark::lab::webapp::{WebApp, WebConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct WebappArgs {
    /// TCP port to listen on (0 = any free port).
    #[arg(long, default_value_t = coffeeshark::lab::WEBAPP_PORT)]
    pub port: u16,
    /// Listen on 127.0.0.1 only (default: every interface, 0.0.0.0, as the lab).
    #[arg(long)]
    pub local: bool,
    /// The coffee pot, HOST:PORT.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5030")]
    pub pot: String,
    /// The pot's data directory, for /log [default: as `coffeeshark pot`].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Keep HTTP connections open between requests (the lab's app closes them).
    #[arg(long)]
    pub keep_alive: bool,
    /// Serve HTTPS (a self-signed certificate made at start, unless --cert/--key);
    /// TLS secrets go to $SSLKEYLOGFILE when it is set.
    #[arg(long)]
    pub https: bool,
    /// PEM certificate for --https (with --key), e.g. from `openssl req -x509 ...`.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// PEM private key for --https (with --cert).
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Seconds allowed for one HTCPCP exchange and for a browser's request head.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_seconds)]
    pub timeout: f64,
}

impl WebappArgs {
    pub(crate) fn config(&self, log: Log) -> Result<WebConfig> {
        let mut cfg = WebConfig::new(data_dir(self.data_dir.clone())?);
        cfg.addr = SocketAddr::new(bind_ip(self.local), self.port);
        cfg.pot = self.pot.clone();
        cfg.keep_alive = self.keep_alive;
        cfg.timeout = Duration::from_secs_f64(self.timeout);
        cfg.tls = tls_config(self.https, &self.cert, &self.key);
        cfg.log = log;
        Ok(cfg)
    }
}

/// HTTPS settings from the flags (`--cert`/`--key` imply `--https`) and
/// `SSLKEYLOGFILE`.
pub(crate) fn tls_config(
    https: bool,
    cert: &Option<PathBuf>,
    key: &Option<PathBuf>,
) -> Option<TlsConfig> {
    (https || cert.is_some()).then(|| TlsConfig {
        cert: cert.clone(),
        key: key.clone(),
        key_log: std::env::var_os("SSLKEYLOGFILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
    })
}

/// The URL to open for a server bound to `addr`.
pub(crate) fn url(addr: SocketAddr, https: bool) -> String {
    let scheme = if https { "https" } else { "http" };
    if addr.ip().is_unspecified() {
        format!("{scheme}://127.0.0.1:{}", addr.port())
    } else {
        format!("{scheme}://{addr}")
    }
}

/// What the user should know about HTTPS, printed at start.
/// (the self-signed certificate is printed so that users can compare it with
/// what the browser shows).
pub(crate) fn tls_note(cfg: &WebConfig, app: &WebApp) {
    let Some(tls) = &cfg.tls else { return };
    match &tls.cert {
        Some(c) => println!("HTTPS with {}", c.display()),
        None => println!(
            "HTTPS with a self-signed certificate made now: the browser will warn that it cannot verify it"
        ),
    }
    if let Some(k) = &tls.key_log {
        println!(
            "TLS secrets are appended to {} (SSLKEYLOGFILE)",
            k.display()
        );
    }
    if tls.cert.is_none() {
        if let Some(pem) = app.certificate_pem() {
            println!("{pem}");
        }
    }
}

pub fn run(args: WebappArgs) -> Result<ExitCode> {
    let cfg = args.config(Log::stderr("webapp", "36"))?;
    runtime()?.block_on(async move {
        let (addr, pot, https) = (cfg.addr, cfg.pot.clone(), cfg.tls.is_some());
        let app = WebApp::bind(cfg.clone())
            .await
            .with_context(|| format!("cannot start the web app on {addr}"))?;
        let local = app.local_addr()?;
        println!(
            "coffeeshark webapp: {} on {local}, pot at {pot}; open {}  (Ctrl-C stops)",
            if https { "HTTPS" } else { "HTTP" },
            url(local, https)
        );
        tls_note(&cfg, &app);
        app.run(shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}
