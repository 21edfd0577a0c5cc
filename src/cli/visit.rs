//! `coffeeshark visit`: the scripted visit of the web app, as a browser would.

use super::pot::{parse_seconds, runtime};
use anyhow::{Context, Result};
use clap::Args;
use coffeeshark::lab::log::Log;
use coffeeshark::lab::visit::{self, Scenario, Step, VisitConfig};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct VisitArgs {
    /// The web app, http://HOST:PORT or https://HOST:PORT.
    #[arg(default_value = "http://127.0.0.1:5031")]
    pub url: String,
    /// homepage, brew, 418_406 (the lab's three captures) or full.
    #[arg(long, default_value = "full", value_parser = parse_scenario)]
    pub scenario: String,
    /// HTTPS: trust this certificate (PEM).
    #[arg(long, value_name = "PEM")]
    pub trust: Option<PathBuf>,
    /// HTTPS: accept any certificate ("proceed anyway").
    #[arg(long)]
    pub insecure: bool,
    /// Longest wait, in seconds, for a brew to finish before saying WHEN.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, value_parser = parse_seconds)]
    pub brew_wait: f64,
}

pub(crate) fn parse_scenario(s: &str) -> Result<String, String> {
    Scenario::from_name(s)
        .map(|_| s.to_string())
        .ok_or_else(|| {
            format!(
                "unknown scenario {s:?}; one of {}",
                Scenario::NAMES.join(", ")
            )
        })
}

/// Runs a visit and prints a summary of its requests.
pub(crate) async fn run_visit(cfg: VisitConfig, scenario: &str) -> Result<Vec<Step>> {
    let base = cfg.base.clone();
    let scenario = Scenario::from_name(scenario).expect("checked by clap");
    let steps = visit::run(cfg, scenario)
        .await
        .with_context(|| format!("the visit of {base} failed"))?;
    let count = |code: u16| steps.iter().filter(|s| s.status == code).count();
    let connections: std::collections::HashSet<_> = steps.iter().map(|s| s.local).collect();
    println!(
        "visit: {} requests on {} connections; 200: {}, 302: {}, 304: {}, other: {}",
        steps.len(),
        connections.len(),
        count(200),
        count(302),
        count(304),
        steps.len() - count(200) - count(302) - count(304)
    );
    Ok(steps)
}

pub fn run(args: VisitArgs) -> Result<ExitCode> {
    let mut cfg = VisitConfig::new(args.url.trim_end_matches('/'));
    cfg.insecure = args.insecure;
    if let Some(p) = &args.trust {
        cfg.trust_pem = Some(
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        );
    }
    cfg.brew_wait = Duration::from_secs_f64(args.brew_wait);
    cfg.log = Log::stderr("visit", "35");
    runtime()?.block_on(async move {
        run_visit(cfg, &args.scenario).await?;
        Ok(ExitCode::SUCCESS)
    })
}
