//! The pot's state in its data directory, written so that a kill at any moment
//! leaves files that parse:
//!
//! - `currently_brewing.json`: the current brew as one JSON object, `{}` when
//!   idle. Replaced atomically (write `*.tmp`, fsync, rename, fsync the
//!   directory). A restart writes `{}`: the pot forgets what it was brewing.
//! - `past_coffees.json`: the history, one brew record per line (JSON Lines,
//!   under the lab's `.json` name, so that the lab's own Flask app reads it
//!   from our pot's data directory), appended with one `write` and an fsync
//!   per brew. A line cut by a crash (no final newline) is cut off when the
//!   pot next starts; readers skip any line that does not parse.
//!
//! Earlier versions of the pot named the history `past_coffees.jsonl`: when
//! the pot opens a directory that has only that file, it renames it to the
//! lab's name; readers ([`history_path`]) take whichever exists.
//!
//! The data directory defaults to `$XDG_DATA_HOME/coffeeshark`, else
//! `~/.local/share/coffeeshark`; never the current directory.

use super::htcpcp::Bean;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// File name of the current brew.
pub const CURRENT_FILE: &str = "currently_brewing.json";
/// File name of the history (the lab's name).
pub const HISTORY_FILE: &str = "past_coffees.json";
/// The history's name in earlier versions of the pot.
pub const LEGACY_HISTORY_FILE: &str = "past_coffees.jsonl";

/// The history file of data directory `dir`: the lab's name, or the legacy
/// one when only that exists.
pub fn history_path(dir: &Path) -> PathBuf {
    let lab = dir.join(HISTORY_FILE);
    let legacy = dir.join(LEGACY_HISTORY_FILE);
    if !lab.exists() && legacy.exists() {
        legacy
    } else {
        lab
    }
}

/// A coffee bean as stored (owned, so that history files can be read back).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BeanInfo {
    pub name: String,
    pub profile: String,
    pub origin: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub strength: String,
    pub roast: String,
}

impl From<&Bean> for BeanInfo {
    fn from(b: &Bean) -> BeanInfo {
        BeanInfo {
            name: b.name.into(),
            profile: b.profile.into(),
            origin: b.origin.into(),
            kind: b.kind.into(),
            strength: b.strength.into(),
            roast: b.roast.into(),
        }
    }
}

/// One brew, with the lab's keys. Dates are in the lab's format (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrewRecord {
    pub date: String,
    pub beverage_type: String,
    pub additions: Vec<String>,
    pub brew_time_end: String,
    /// When milk starts pouring (the end of brewing), `""` without milk.
    pub pour_milk_start: String,
    /// Set by WHEN once milk is pouring.
    pub pour_milk_stop: bool,
    pub coffee_bean: BeanInfo,
}

/// The default data directory: `$XDG_DATA_HOME/coffeeshark`, else
/// `$HOME/.local/share/coffeeshark`; `None` when neither variable is set.
pub fn default_data_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(x) = nonempty("XDG_DATA_HOME") {
        return Some(PathBuf::from(x).join("coffeeshark"));
    }
    nonempty("HOME").map(|h| PathBuf::from(h).join(".local/share/coffeeshark"))
}

/// The data directory of one pot. Not thread-safe by itself: the pot calls
/// it under its state lock.
#[derive(Debug)]
pub struct DataDir {
    dir: PathBuf,
    history: File,
}

impl DataDir {
    /// Opens (creating) the directory, forgets the current brew (writes `{}`)
    /// and repairs a history line cut by a crash. Returns the directory and
    /// the number of brews in the history.
    pub fn open(dir: &Path) -> io::Result<(DataDir, u64)> {
        fs::create_dir_all(dir)?;
        let _ = fs::remove_file(dir.join(format!("{CURRENT_FILE}.tmp")));
        if history_path(dir) != dir.join(HISTORY_FILE) {
            // A history kept under the old name: the lab's name from now on.
            fs::rename(dir.join(LEGACY_HISTORY_FILE), dir.join(HISTORY_FILE))?;
            sync_dir(dir)?;
        }
        let mut history = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(dir.join(HISTORY_FILE))?;
        let count = repair_history(&mut history)?;
        let data = DataDir {
            dir: dir.to_path_buf(),
            history,
        };
        data.write_current(None)?;
        Ok((data, count))
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Replaces `currently_brewing.json` atomically.
    pub fn write_current(&self, brew: Option<&BrewRecord>) -> io::Result<()> {
        let text = match brew {
            Some(b) => serde_json::to_string(b).map_err(io::Error::other)?,
            None => "{}".to_string(),
        };
        let tmp = self.dir.join(format!("{CURRENT_FILE}.tmp"));
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, self.dir.join(CURRENT_FILE))?;
        sync_dir(&self.dir)
    }

    /// Appends one record to the history (one write, then fsync).
    pub fn append_history(&mut self, brew: &BrewRecord) -> io::Result<()> {
        let mut line = serde_json::to_vec(brew).map_err(io::Error::other)?;
        line.push(b'\n');
        self.history.write_all(&line)?;
        self.history.sync_data()
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    // Makes the rename durable; directories cannot be opened for sync everywhere.
    match File::open(dir) {
        Ok(d) => d.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// Cuts a trailing partial line (no final newline) and counts the lines.
fn repair_history(f: &mut File) -> io::Result<u64> {
    let mut data = Vec::new();
    f.seek(SeekFrom::Start(0))?;
    f.read_to_end(&mut data)?;
    let keep = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if keep != data.len() {
        f.set_len(keep as u64)?;
        f.sync_all()?;
    }
    Ok(data[..keep].iter().filter(|&&b| b == b'\n').count() as u64)
}

/// Reads a history file: the records that parse, oldest first, and the
/// number of lines that did not.
pub fn read_history(path: &Path) -> io::Result<(Vec<BrewRecord>, usize)> {
    let text = match fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let mut records = Vec::new();
    let mut bad = 0;
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<BrewRecord>(line) {
            Ok(r) => records.push(r),
            Err(_) => bad += 1,
        }
    }
    Ok((records, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_repairs_a_cut_line_and_forgets_the_brew() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = BrewRecord {
            date: "Tue, 09 Apr 2024 18:37:30".into(),
            beverage_type: "Coffee".into(),
            additions: vec!["cream".into()],
            brew_time_end: "Tue, 09 Apr 2024 18:38:00".into(),
            pour_milk_start: "Tue, 09 Apr 2024 18:38:00".into(),
            pour_milk_stop: false,
            coffee_bean: BeanInfo::from(&super::super::htcpcp::BEANS[0]),
        };
        {
            let (mut d, n) = DataDir::open(tmp.path()).unwrap();
            assert_eq!(n, 0);
            d.append_history(&rec).unwrap();
            d.write_current(Some(&rec)).unwrap();
        }
        // A crash in the middle of the second line.
        let hist = tmp.path().join(HISTORY_FILE);
        let mut f = OpenOptions::new().append(true).open(&hist).unwrap();
        f.write_all(b"{\"date\":\"Tue, 09").unwrap();
        drop(f);
        let (_d, n) = DataDir::open(tmp.path()).unwrap();
        assert_eq!(n, 1);
        let (records, bad) = read_history(&hist).unwrap();
        assert_eq!((records, bad), (vec![rec], 0));
        assert_eq!(
            fs::read_to_string(tmp.path().join(CURRENT_FILE)).unwrap(),
            "{}"
        );
    }

    #[test]
    fn a_legacy_history_is_read_and_renamed_to_the_labs_name() {
        let tmp = tempfile::tempdir().unwrap();
        let line = br#"{"date":"Tue, 09 Apr 2024 18:37:30","beverage_type":"Coffee","additions":[],"brew_time_end":"Tue, 09 Apr 2024 18:38:00","pour_milk_start":"","pour_milk_stop":false,"coffee_bean":{"name":"1910"}}"#;
        let mut text = line.to_vec();
        text.push(b'\n');
        fs::write(tmp.path().join(LEGACY_HISTORY_FILE), &text).unwrap();
        assert_eq!(
            history_path(tmp.path()),
            tmp.path().join(LEGACY_HISTORY_FILE)
        );
        let (records, bad) = read_history(&history_path(tmp.path())).unwrap();
        assert_eq!((records.len(), bad), (1, 0));
        let (_d, n) = DataDir::open(tmp.path()).unwrap();
        assert_eq!(n, 1);
        assert!(!tmp.path().join(LEGACY_HISTORY_FILE).exists());
        assert_eq!(history_path(tmp.path()), tmp.path().join(HISTORY_FILE));
        assert_eq!(fs::read(tmp.path().join(HISTORY_FILE)).unwrap(), text);
    }
}
