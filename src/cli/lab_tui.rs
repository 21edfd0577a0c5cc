//! `coffeeshark lab --tui`: the whole lab in one command. The pot and the
//! web app run on the async runtime's threads (their logs off: the capture
//! shows their traffic), both ports are captured on loopback, and the live
//! terminal UI opens on that capture with the answers pane; the status line
//! says which URL to open in the browser. Quitting stops the servers and
//! leaves the capture where the status line said (`--capture FILE`, or a
//! temporary file).

use super::lab::{open_lab_capture, LabArgs};
use super::pot::{bind_ip, data_dir, runtime};
use super::webapp::{tls_config, url};
use anyhow::{Context, Result};
use coffeeshark::lab::log::Log;
use coffeeshark::lab::pot::{Pot, PotConfig};
use coffeeshark::lab::webapp::{WebApp, WebConfig};
use coffeeshark::source::recorder::Autostop;
use coffeeshark::tui::colors::{Theme, ThemeKind};
use coffeeshark::tui::lab::LabKind;
use coffeeshark::tui::{self, LiveOptions};
use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

pub fn run(args: LabArgs) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!("lab --tui needs a terminal (without --tui, lab logs to the terminal)");
    }
    let dir = data_dir(args.data_dir.clone())?;
    let ip = bind_ip(args.local);
    let mut pot_cfg = PotConfig::new(dir.clone());
    pot_cfg.addr = SocketAddr::new(ip, args.pot_port);
    pot_cfg.brew_time = Duration::from_secs_f64(args.brew_time);
    pot_cfg.log = Log::off();
    let mut web_cfg = WebConfig::new(dir);
    web_cfg.addr = SocketAddr::new(ip, args.port);
    web_cfg.log = Log::off();
    web_cfg.tls = tls_config(args.https, &args.cert, &args.key);
    let https = web_cfg.tls.is_some();

    let rt = runtime()?;
    let (pot, web) = rt.block_on(async {
        let pot = Pot::bind(pot_cfg)
            .await
            .with_context(|| format!("cannot start the pot on port {}", args.pot_port))?;
        let pot_addr = pot.local_addr()?;
        web_cfg.pot = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), pot_addr.port()).to_string();
        let web = WebApp::bind(web_cfg.clone())
            .await
            .with_context(|| format!("cannot start the web app on port {}", args.port))?;
        anyhow::Ok((pot, web))
    })?;
    let pot_addr = pot.local_addr()?;
    let web_addr = web.local_addr()?;
    // Opened before the terminal is taken: its errors are `capture`'s.
    let capture = open_lab_capture(pot_addr.port(), web_addr.port())?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let pot_task = rt.spawn(pot.run(wait(stop_rx.clone())));
    let web_task = rt.spawn(web.run(wait(stop_rx)));

    let options = LiveOptions {
        write: args.capture.clone(),
        autostop: Autostop::default(),
        filter: None,
        decode_as: Vec::new(),
        keylog: None,
    };
    let outcome = tui::open_live(capture, options, Theme::new(ThemeKind::Dark)).map(|mut app| {
        if let Some(live) = &mut app.live {
            live.note = Some(format!("open {}", url(web_addr, https)));
        }
        app.toggle_lab(LabKind::Answers);
        app
    });
    let result = match outcome {
        Ok(app) => tui::run_app(app).map_err(anyhow::Error::from),
        Err(e) => Err(anyhow::Error::msg(e)),
    };
    let _ = stop_tx.send(true);
    let (p, w) = rt.block_on(async { tokio::join!(pot_task, web_task) });
    let app = result?;
    if let Some(summary) = app.live_summary() {
        eprintln!("{summary}");
    }
    p.context("pot task")??;
    w.context("web app task")??;
    Ok(ExitCode::SUCCESS)
}
