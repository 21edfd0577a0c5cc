//! `-V`: the packet details, one block per layer, fields indented by four
//! spaces per level, like tshark's verbose output. Hidden fields are not
//! shown (as in tshark).

use crate::model::tree::{Field, Tree};

pub fn write(out: &mut String, tree: &Tree) {
    for layer in &tree.layers {
        out.push_str(&layer.label);
        out.push('\n');
        for f in &layer.fields {
            write_field(out, f, 1);
        }
    }
}

fn write_field(out: &mut String, f: &Field, depth: usize) {
    if f.hidden {
        return;
    }
    for _ in 0..depth {
        out.push_str("    ");
    }
    out.push_str(&f.label);
    out.push('\n');
    for c in &f.children {
        write_field(out, c, depth + 1);
    }
}
