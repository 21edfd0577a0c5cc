//! `coffeeshark pot`: the lab's coffee pot (HTCPCP server) on TCP 5030.

use anyhow::{Context, Result};
use clap::Args;
use coffeeshark::lab::log::Log;
use coffeeshark::lab::pot::{Pot, PotConfig};
use coffeeshark::lab::state::default_data_dir;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct PotArgs {
    /// TCP port to listen on (0 = any free port).
    #[arg(long, default_value_t = coffeeshark::lab::POT_PORT)]
    pub port: u16,
    /// Listen on 127.0.0.1 only (default: every interface, 0.0.0.0, as the lab).
    #[arg(long)]
    pub local: bool,
    /// Where the current brew and the history (past_coffees.json) live
    /// [default: $XDG_DATA_HOME/coffeeshark or ~/.local/share/coffeeshark].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seconds a brew takes (fractions allowed).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_seconds)]
    pub brew_time: f64,
    /// Seconds a client has to send its whole request before it is cut off.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_seconds)]
    pub read_timeout: f64,
}

pub(crate) fn parse_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("not a number of seconds: {s}"))?;
    if !(0.0..=86_400.0).contains(&v) {
        return Err("seconds must be between 0 and 86400".into());
    }
    Ok(v)
}

pub(crate) fn bind_ip(local: bool) -> IpAddr {
    if local {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    }
}

pub(crate) fn data_dir(arg: Option<PathBuf>) -> Result<PathBuf> {
    arg.or_else(default_data_dir)
        .context("no data directory: set HOME or XDG_DATA_HOME, or pass --data-dir")
}

impl PotArgs {
    pub(crate) fn config(&self, log: Log) -> Result<PotConfig> {
        let mut cfg = PotConfig::new(data_dir(self.data_dir.clone())?);
        cfg.addr = SocketAddr::new(bind_ip(self.local), self.port);
        cfg.brew_time = Duration::from_secs_f64(self.brew_time);
        cfg.read_timeout = Duration::from_secs_f64(self.read_timeout);
        cfg.log = log;
        Ok(cfg)
    }
}

/// Waits for Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn run(args: PotArgs) -> Result<ExitCode> {
    let cfg = args.config(Log::stderr("pot", "33"))?;
    let dir = cfg.data_dir.clone();
    runtime()?.block_on(async move {
        let addr = cfg.addr;
        let pot = Pot::bind(cfg)
            .await
            .with_context(|| format!("cannot start the pot on {addr} with data in {}", dir.display()))?;
        let local = pot.local_addr()?;
        println!(
            "coffeeshark pot: HTCPCP on {local} (data in {}, {} brews in the history); Ctrl-C stops",
            dir.display(),
            pot.brews_in_history()
        );
        pot.run(shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}
