//! tshark's `-j PROTOS` / `-J PROTOS`: which protocols and fields the JSON,
//! EK and PDML views write in full.
//!
//! `PROTOS` is a space-separated list of names (`"ip tcp.flags"`), matched
//! exactly against protocol and field names. A protocol or field that is not
//! listed is still named, but its contents are replaced by tshark's marker:
//! `{"filtered": "NAME"}` in JSON and EK, `<field name="filtered"
//! value="NAME" />` in PDML. A field's own value is written regardless (in
//! JSON and PDML; in EK a filtered field's value is the marker, as tshark
//! writes it). With `-J` ([`LayerFilter::include_children`]), everything
//! under a listed name is written in full.

/// The names of `-j`/`-J` and whether the children of a listed name are
/// kept whole (`-J`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerFilter {
    names: Vec<String>,
    /// `-J`: a listed protocol's or field's children are not filtered.
    pub include_children: bool,
}

impl LayerFilter {
    /// The filter of `-j PROTOS` (or `-J PROTOS` with `include_children`).
    pub fn new(protos: &str, include_children: bool) -> Self {
        LayerFilter {
            names: protos
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            include_children,
        }
    }

    /// Whether `name` is listed (exact match, as tshark's
    /// `check_protocolfilter`).
    pub fn allows(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// EK's test: also true when `name` with `.` written as `_` is listed,
    /// since EK's keys write them so (`ek_check_protocolfilter`).
    pub fn allows_ek(&self, name: &str) -> bool {
        self.allows(name) || (name.contains('.') && self.allows(&name.replace('.', "_")))
    }

    /// The filter that applies below a node that passed: none with `-J`.
    pub fn below(filter: Option<&LayerFilter>) -> Option<&LayerFilter> {
        filter.filter(|f| !f.include_children)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_exactly() {
        let f = LayerFilter::new("ip  tcp.flags", false);
        assert!(f.allows("ip") && f.allows("tcp.flags"));
        assert!(!f.allows("tcp") && !f.allows("ip.src") && !f.allows(""));
        assert!(LayerFilter::below(Some(&f)).is_some());
        let j = LayerFilter::new("ip", true);
        assert!(LayerFilter::below(Some(&j)).is_none());
        assert!(LayerFilter::new("tcp_flags", false).allows_ek("tcp.flags"));
    }
}
