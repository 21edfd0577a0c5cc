//! `-T psml`: tshark's Packet Summary Markup Language, the packet list as
//! XML (pyshark's `only_summaries=True`): a `<structure>` naming the
//! columns, then a `<packet>` of `<section>`s per frame — the same cells as
//! the packet list (`list::write_cells`), escaped as tshark escapes them.

use super::pdml::escape;

/// What precedes the first packet.
pub fn begin(out: &mut String, creator_version: &str) {
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<psml version=\"0\" creator=\"");
    escape(out, creator_version);
    out.push_str("\">\n<structure>\n");
    for c in super::list::TITLES {
        out.push_str("<section>");
        out.push_str(c);
        out.push_str("</section>\n");
    }
    out.push_str("</structure>\n\n");
}

/// One `<packet>`: frame `number` and its list cells.
pub fn packet(out: &mut String, number: u64, cells: &str) {
    out.push_str("<packet>\n<section>");
    out.push_str(itoa::Buffer::new().format(number));
    out.push_str("</section>\n");
    for cell in super::list::split_cells(cells) {
        out.push_str("<section>");
        escape(out, cell);
        out.push_str("</section>\n");
    }
    out.push_str("</packet>\n\n");
}

/// What follows the last packet.
pub fn end(out: &mut String) {
    out.push_str("</psml>\n");
}
