//! `coffeeshark dissector`: the Wireshark plugin `dissector/htcpcp.lua`,
//! embedded in the binary (the same bytes as the file), installed into
//! Wireshark's personal Lua plugins folder in one command.
//!
//! The folder is the one Wireshark itself reports (`tshark -G folders`,
//! "Personal Lua Plugins"), so the answer follows the installed Wireshark;
//! without tshark, the documented default: `%APPDATA%\Wireshark\plugins` on
//! Windows, `~/.config/wireshark/plugins` when that folder exists (newer
//! Wireshark releases read it), else `~/.local/lib/wireshark/plugins`.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The plugin, as committed in `dissector/htcpcp.lua`.
pub const PLUGIN: &str = include_str!("../../dissector/htcpcp.lua");

/// Its file name in the plugins folder.
pub const FILE_NAME: &str = "htcpcp.lua";

#[derive(Args, Debug)]
pub struct DissectorArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Copy the plugin into Wireshark's personal Lua plugins folder and print
    /// its path (restart Wireshark, or Analyze > Reload Lua Plugins).
    Install {
        /// Replace a different file of the same name.
        #[arg(long)]
        force: bool,
        /// Install into this folder instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print where `install` would put the plugin.
    Path {
        /// The folder to use instead of Wireshark's.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Write the plugin to stdout.
    Print,
}

pub fn run(args: DissectorArgs) -> Result<ExitCode> {
    match args.action {
        Action::Print => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            lock.write_all(PLUGIN.as_bytes())?;
            lock.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Action::Path { dir } => {
            println!("{}", target(dir)?.display());
            Ok(ExitCode::SUCCESS)
        }
        Action::Install { force, dir } => {
            let path = target(dir)?;
            install(&path, force)?;
            println!("{}", path.display());
            eprintln!(
                "Installed the HTCPCP dissector: restart Wireshark (or Analyze > Reload Lua Plugins), \
                 then filter with `htcpcp`."
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes the plugin to `path`, unless a different file is there and
/// `force` is off. The same bytes already there is success.
fn install(path: &Path, force: bool) -> Result<()> {
    match std::fs::read(path) {
        Ok(old) if old == PLUGIN.as_bytes() => return Ok(()),
        Ok(_) if !force => bail!(
            "{} exists and is not this plugin (another version, or another HTCPCP dissector); \
             use --force to replace it",
            path.display()
        ),
        _ => {}
    }
    let dir = path.parent().context("plugin path has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Written beside it, then renamed: Wireshark never reads half a file.
    let tmp = dir.join(format!(".{FILE_NAME}.tmp"));
    std::fs::write(&tmp, PLUGIN).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Where the plugin goes: `dir`, else Wireshark's personal Lua plugins
/// folder.
fn target(dir: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match dir {
        Some(d) => d,
        None => match wireshark_folder() {
            Some(d) => d,
            None => default_folder()?,
        },
    };
    Ok(dir.join(FILE_NAME))
}

/// The folder `tshark -G folders` names, if tshark runs.
fn wireshark_folder() -> Option<PathBuf> {
    let out = std::process::Command::new("tshark")
        .args(["-G", "folders"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_folders(&String::from_utf8_lossy(&out.stdout))
}

/// "Personal Lua Plugins:" (Wireshark 3.6 and later), else the folder above
/// the versioned "Personal Plugins:" one (Lua plugins are not versioned).
fn parse_folders(listing: &str) -> Option<PathBuf> {
    let value = |key: &str| {
        listing.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| PathBuf::from(v.trim()))
        })
    };
    if let Some(p) = value("Personal Lua Plugins") {
        return Some(p);
    }
    let p = value("Personal Plugins")?;
    let versioned = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        n.split('.')
            .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
    });
    if versioned {
        p.parent().map(Path::to_path_buf)
    } else {
        Some(p)
    }
}

/// Wireshark's documented personal plugins folder for this system.
fn default_folder() -> Result<PathBuf> {
    if cfg!(windows) {
        let appdata = std::env::var_os("APPDATA").context("APPDATA is not set")?;
        return Ok(PathBuf::from(appdata).join("Wireshark").join("plugins"));
    }
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    let home = PathBuf::from(home);
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".config"))
        .join("wireshark")
        .join("plugins");
    if config.is_dir() {
        return Ok(config);
    }
    Ok(home
        .join(".local")
        .join("lib")
        .join("wireshark")
        .join("plugins"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_listing() {
        let l = "Personal configuration:\t/h/.config/wireshark\nPersonal Plugins:    \t/h/.local/lib/wireshark/plugins/4.0\nPersonal Lua Plugins:\t/h/.local/lib/wireshark/plugins\n";
        assert_eq!(
            parse_folders(l),
            Some(PathBuf::from("/h/.local/lib/wireshark/plugins"))
        );
        let old = "Personal Plugins:    \t/h/.local/lib/wireshark/plugins/3.6\n";
        assert_eq!(
            parse_folders(old),
            Some(PathBuf::from("/h/.local/lib/wireshark/plugins"))
        );
        assert_eq!(parse_folders("Temp:\t/tmp\n"), None);
    }

    #[test]
    fn embedded_is_the_file() {
        let file = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("dissector/htcpcp.lua"),
        )
        .unwrap();
        assert_eq!(file, PLUGIN);
    }
}
