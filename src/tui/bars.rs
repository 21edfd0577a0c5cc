//! The one-line inputs at the bottom of the screen: the display filter bar
//! (validated as you type with the compiler's own messages, completion of
//! field and protocol names from the registry, history), "go to packet",
//! search, marks.

use super::colors::Verdict;
use crate::filter::fields::FIELDS;
use crate::filter::Filter;

/// A line being edited, with its cursor (a char index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditLine {
    pub text: String,
    pub cursor: usize,
}

impl EditLine {
    pub fn new(text: &str) -> Self {
        EditLine {
            text: text.to_owned(),
            cursor: text.chars().count(),
        }
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(i, _)| i)
    }

    pub fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    pub fn backspace(&mut self) {
        if self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        let at = self.byte_at(self.cursor);
        self.text.remove(at);
    }

    pub fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.text.chars().count();
    }

    pub fn set(&mut self, text: &str) {
        *self = EditLine::new(text);
    }

    /// The word before the cursor (field-name characters).
    fn word_start(&self) -> usize {
        let before: Vec<char> = self.text.chars().take(self.cursor).collect();
        let mut i = before.len();
        while i > 0 && is_name_char(before[i - 1]) {
            i -= 1;
        }
        i
    }

    /// Tab: completes the field or protocol name before the cursor to the
    /// longest prefix shared by every registered name it starts; returns
    /// the candidates (for the status line).
    pub fn complete(&mut self) -> Vec<&'static str> {
        let start = self.word_start();
        let word: String = self
            .text
            .chars()
            .skip(start)
            .take(self.cursor - start)
            .collect();
        if word.is_empty() {
            return Vec::new();
        }
        let candidates = completions(&word);
        let Some(first) = candidates.first() else {
            return candidates;
        };
        let mut common = first.len();
        for c in &candidates[1..] {
            common = common.min(
                first
                    .bytes()
                    .zip(c.bytes())
                    .take_while(|(a, b)| a == b)
                    .count(),
            );
        }
        for ch in first[word.len()..common].chars() {
            self.insert(ch);
        }
        candidates
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'
}

/// Registered names starting with `prefix`, shortest first.
pub fn completions(prefix: &str) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = FIELDS
        .iter()
        .map(|d| d.name)
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort_by_key(|n| (n.len(), *n));
    v.dedup();
    v
}

/// Fields that have several values in one packet: `!=` on them means "all
/// differ", which Wireshark warns about (yellow).
const MULTI_VALUED: &[&str] = &[
    "ip.addr",
    "ipv6.addr",
    "eth.addr",
    "tcp.port",
    "udp.port",
    "ip.host",
];

/// The filter bar's colour and message for `text`.
pub fn check(text: &str) -> (Verdict, Option<String>) {
    if text.trim().is_empty() {
        return (Verdict::Empty, None);
    }
    match Filter::compile(text) {
        Ok(_) => {
            for f in MULTI_VALUED {
                if text.contains(&format!("{f} !=")) || text.contains(&format!("{f}!=")) {
                    return (
                        Verdict::Odd,
                        Some(format!(
                            "\"{f} != ...\" is true only when no value of {f} is equal: did you mean !({f} == ...)?"
                        )),
                    );
                }
            }
            (Verdict::Valid, None)
        }
        Err(e) => (Verdict::Invalid, Some(e.message)),
    }
}

/// What the bottom line is taking input for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Goto,
    Search,
}

/// An active input line.
#[derive(Debug, Clone)]
pub struct Input {
    pub kind: InputKind,
    pub line: EditLine,
    /// Position in the history while browsing it with Up/Down.
    pub history_pos: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_extends_to_the_common_prefix() {
        let mut l = EditLine::new("htcpcp.resp");
        let c = l.complete();
        assert!(c.len() > 1, "{c:?}");
        assert!(l.text.starts_with("htcpcp.response"), "{}", l.text);
        let mut l = EditLine::new("tcp.analysis.retr");
        l.complete();
        assert_eq!(l.text, "tcp.analysis.retransmission");
    }

    #[test]
    fn verdicts() {
        assert_eq!(check("").0, Verdict::Empty);
        assert_eq!(check("htcpcp.response.code == 418").0, Verdict::Valid);
        let (v, msg) = check("htcpcp.response.code ==");
        assert_eq!(v, Verdict::Invalid);
        assert!(msg.is_some());
        assert_eq!(check("ip.addr != 127.0.0.1").0, Verdict::Odd);
    }

    #[test]
    fn editing_handles_multibyte_text() {
        let mut l = EditLine::new("кофе");
        l.left();
        l.backspace();
        l.insert('x');
        assert_eq!(l.text, "коxе");
        l.home();
        l.delete();
        assert_eq!(l.text, "оxе");
    }
}
