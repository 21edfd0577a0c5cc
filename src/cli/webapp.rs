//! `coffeeshark webapp`: the lab's web app on TCP 5031, talking HTCPCP to the pot.

use super::pot::{bind_ip, data_dir, parse_seconds, runtime, shutdown_signal};
use anyhow::{Context, Result};
use clap::Args;
use coffeeshark::lab::log::Log;
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
        cfg.log = log;
        Ok(cfg)
    }
}

/// The URL to open for a server bound to `addr`.
pub(crate) fn url(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

pub fn run(args: WebappArgs) -> Result<ExitCode> {
    let cfg = args.config(Log::stderr("webapp", "36"))?;
    runtime()?.block_on(async move {
        let (addr, pot) = (cfg.addr, cfg.pot.clone());
        let app = WebApp::bind(cfg)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = app.local_addr()?;
        println!(
            "coffeeshark webapp: HTTP on {local}, pot at {pot}; open {}  (Ctrl-C stops)",
            url(local)
        );
        app.run(shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}
