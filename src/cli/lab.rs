//! `coffeeshark lab`: the pot and the web app in one process, prefixed logs.

use super::pot::{bind_ip, data_dir, parse_seconds, runtime, shutdown_signal};
use super::visit::run_visit;
use super::webapp::{tls_config, tls_note, url};
use anyhow::{Context, Result};
use clap::Args;
use coffeeshark::lab::log::Log;
use coffeeshark::lab::pot::{Pot, PotConfig};
use coffeeshark::lab::visit::VisitConfig;
use coffeeshark::lab::webapp::{WebApp, WebConfig};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct LabArgs {
    /// TCP port of the web app.
    #[arg(long, default_value_t = coffeeshark::lab::WEBAPP_PORT)]
    pub port: u16,
    /// TCP port of the pot.
    #[arg(long, default_value_t = coffeeshark::lab::POT_PORT)]
    pub pot_port: u16,
    /// Listen on 127.0.0.1 only (default: every interface, 0.0.0.0, as the lab).
    #[arg(long)]
    pub local: bool,
    /// The pot's data directory [default: $XDG_DATA_HOME/coffeeshark or ~/.local/share/coffeeshark].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Serve the web app over HTTPS (self-signed unless --cert/--key; $SSLKEYLOGFILE honoured).
    #[arg(long)]
    pub https: bool,
    /// PEM certificate for --https (with --key).
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// PEM private key for --https (with --cert).
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Run a scripted visit (homepage, brew, 418_406, full) once the servers
    /// are up, then stop: traffic to capture.
    #[arg(long, value_name = "SCENARIO", value_parser = super::visit::parse_scenario)]
    pub script: Option<String>,
    /// Seconds a brew takes.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_seconds)]
    pub brew_time: f64,
    /// Also capture the lab's traffic (both ports, on the loopback interface)
    /// into this pcapng file while the lab runs (needs libpcap and the right
    /// to capture: root, or cap_net_raw).
    #[cfg(feature = "live")]
    #[arg(long, value_name = "FILE.pcapng")]
    pub capture: Option<PathBuf>,
    /// Watch it all live in the terminal UI: the lab's traffic captured on
    /// loopback (into --capture FILE, or a temporary file), with the answers
    /// pane; quitting stops the servers.
    #[cfg(feature = "live")]
    #[arg(long, conflicts_with = "script")]
    pub tui: bool,
}

pub fn run(args: LabArgs) -> Result<ExitCode> {
    #[cfg(feature = "live")]
    if args.tui {
        return super::lab_tui::run(args);
    }
    let dir = data_dir(args.data_dir.clone())?;
    let ip = bind_ip(args.local);
    let mut pot_cfg = PotConfig::new(dir.clone());
    pot_cfg.addr = SocketAddr::new(ip, args.pot_port);
    pot_cfg.brew_time = Duration::from_secs_f64(args.brew_time);
    pot_cfg.log = Log::stderr("pot", "33");
    let mut web_cfg = WebConfig::new(dir.clone());
    web_cfg.addr = SocketAddr::new(ip, args.port);
    web_cfg.log = Log::stderr("webapp", "36");
    web_cfg.tls = tls_config(args.https, &args.cert, &args.key);
    let https = web_cfg.tls.is_some();
    #[cfg(feature = "live")]
    let capture_path = args.capture.clone();
    #[cfg(feature = "live")]
    let recorder: std::sync::Arc<std::sync::Mutex<Option<Recorder>>> = Default::default();
    #[cfg(feature = "live")]
    let recorder_slot = std::sync::Arc::clone(&recorder);
    let result = runtime()?.block_on(async move {
        let pot = Pot::bind(pot_cfg)
            .await
            .with_context(|| format!("cannot start the pot on port {}", args.pot_port))?;
        let pot_addr = pot.local_addr()?;
        // The web app reaches the pot over loopback, whatever the pot binds.
        web_cfg.pot = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), pot_addr.port()).to_string();
        let web = WebApp::bind(web_cfg.clone())
            .await
            .with_context(|| format!("cannot start the web app on port {}", args.port))?;
        let web_addr = web.local_addr()?;
        // The capture starts once the ports are known (they may be ephemeral)
        // and before anything connects.
        #[cfg(feature = "live")]
        if let Some(path) = &capture_path {
            let r = Recorder::start(path, pot_addr.port(), web_addr.port())?;
            *recorder_slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
        }
        let web_cert = web.certificate_pem().map(str::to_string);
        println!(
            "coffeeshark lab: pot (HTCPCP) on {pot_addr}, web app ({}) on {web_addr}, data in {}",
            if https { "HTTPS" } else { "HTTP" },
            dir.display()
        );
        tls_note(&web_cfg, &web);
        println!("open {}  (Ctrl-C stops)", url(web_addr, https));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let pot_task = tokio::spawn(pot.run(wait(stop_rx.clone())));
        let web_task = tokio::spawn(web.run(wait(stop_rx)));
        let mut outcome = Ok(());
        match &args.script {
            None => shutdown_signal().await,
            Some(scenario) => {
                let mut cfg = VisitConfig::new(url(
                    SocketAddr::new(Ipv4Addr::LOCALHOST.into(), web_addr.port()),
                    https,
                ));
                cfg.trust_pem = web_cert;
                cfg.log = Log::stderr("visit", "35");
                if https {
                    // The certificate names localhost, not 127.0.0.1 only.
                    cfg.base = format!("https://localhost:{}", web_addr.port());
                }
                tokio::select! {
                    r = run_visit(cfg, scenario) => outcome = r.map(|_| ()),
                    _ = shutdown_signal() => {}
                }
            }
        }
        let _ = stop_tx.send(true);
        let (p, w) = tokio::join!(pot_task, web_task);
        p.context("pot task")??;
        w.context("web app task")??;
        outcome?;
        Ok(ExitCode::SUCCESS)
    });
    #[cfg(feature = "live")]
    if let Some(recorder) = recorder.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let (path, packets) = recorder.stop()?;
        println!(
            "coffeeshark lab: {packets} packets captured into {}",
            path.display()
        );
    }
    result
}

/// `lab --capture`: a libpcap capture of the lab's two ports on the loopback
/// interface, written to pcapng by `source::recorder` until the lab stops.
#[cfg(feature = "live")]
struct Recorder(coffeeshark::source::recorder::Recorder);

#[cfg(feature = "live")]
impl Recorder {
    fn start(path: &std::path::Path, pot_port: u16, web_port: u16) -> Result<Self> {
        let capture = open_lab_capture(pot_port, web_port)?;
        coffeeshark::source::recorder::Recorder::start(capture, path, Default::default())
            .map(Recorder)
            .map_err(anyhow::Error::msg)
    }

    fn stop(mut self) -> Result<(PathBuf, u64)> {
        self.0.stop();
        if let Some(e) = self.0.status.error() {
            anyhow::bail!("the capture failed: {e}");
        }
        Ok((self.0.path.clone(), self.0.captured()))
    }
}

/// The lab's two ports on the loopback interface.
#[cfg(feature = "live")]
pub(crate) fn open_lab_capture(
    pot_port: u16,
    web_port: u16,
) -> Result<coffeeshark::source::live::LiveCapture> {
    use coffeeshark::source::live::{LiveCapture, LiveConfig};
    let mut config = LiveConfig::new(LOOPBACK_INTERFACE);
    config.filter = Some(format!("tcp port {pot_port} or tcp port {web_port}"));
    LiveCapture::open(&config)
        .with_context(|| format!("cannot capture the lab's traffic on {LOOPBACK_INTERFACE}"))
}

/// The loopback interface's name (Linux; macOS calls it lo0).
#[cfg(feature = "live")]
const LOOPBACK_INTERFACE: &str = if cfg!(target_os = "linux") {
    "lo"
} else {
    "lo0"
};
