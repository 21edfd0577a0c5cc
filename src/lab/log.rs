//! Log lines of the lab servers: one line per event on stderr, prefixed with
//! the server's name (`[pot]`, `[webapp]`) like the lab's launcher does, in
//! colour when stderr is a terminal. Tests pass [`Log::off`].

use std::io::{IsTerminal, Write};

/// Where a server writes its log lines.
#[derive(Clone, Debug)]
pub struct Log {
    prefix: &'static str,
    colour: Option<&'static str>,
    enabled: bool,
}

impl Log {
    /// Logs to stderr with `[prefix]`; `colour` is an ANSI SGR code such as "33".
    pub fn stderr(prefix: &'static str, colour: &'static str) -> Log {
        let colour = std::io::stderr().is_terminal().then_some(colour);
        Log {
            prefix,
            colour,
            enabled: true,
        }
    }

    /// Logs nothing.
    pub fn off() -> Log {
        Log {
            prefix: "",
            colour: None,
            enabled: false,
        }
    }

    /// Writes one line (a failing stderr is ignored: logging never stops a server).
    pub fn line(&self, args: std::fmt::Arguments<'_>) {
        if !self.enabled {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = match self.colour {
            Some(c) => writeln!(err, "\x1b[{c}m[{}]\x1b[0m {args}", self.prefix),
            None => writeln!(err, "[{}] {args}", self.prefix),
        };
    }
}
