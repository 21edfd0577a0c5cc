//! `coffeeshark filter check EXPR`: compiles a display filter and prints
//! `ok`, or the error with a caret under the offending place (exit 2), for
//! scripts and the TUI's filter bar.

use anyhow::Result;
use clap::{Args, Subcommand};
use coffeeshark::filter::{fields, Filter};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct FilterArgs {
    #[command(subcommand)]
    command: FilterCommand,
}

#[derive(Subcommand, Debug)]
enum FilterCommand {
    /// Check a display filter: prints "ok" (exit 0) or the error (exit 2).
    Check {
        /// The filter expression (Wireshark syntax).
        #[arg(value_name = "EXPR")]
        expr: String,
    },
}

pub fn run(args: FilterArgs) -> Result<ExitCode> {
    match args.command {
        FilterCommand::Check { expr } => Ok(check(&expr)),
    }
}

/// Prints ok, or the error, for one expression.
pub fn check(expr: &str) -> ExitCode {
    match Filter::compile(expr) {
        Ok(f) => {
            let names: Vec<&str> = f.fields().iter().map(|&id| fields::def(id).name).collect();
            println!("ok (fields: {})", names.join(" "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("coffeeshark: {}", e.render(expr));
            ExitCode::from(2)
        }
    }
}
