//! The packet details pane's state: the `-V` field tree of the selected
//! frame flattened into visible lines, with each node folded or unfolded.
//! A node's fold state is kept by its path of names (`http/http.request.line`),
//! so it stays as the user moves from frame to frame, as in termshark.
//! Every layer is folded by default except the top application layer.

use crate::model::tree::{Field, Tree};
use std::collections::HashSet;

/// One visible line of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub depth: usize,
    pub label: String,
    /// Bytes of the frame the node covers.
    pub start: usize,
    pub len: usize,
    pub key: String,
    pub has_children: bool,
    pub expanded: bool,
}

/// Layers that are an application layer (unfolded by default when on top).
const APPLICATION: &[&str] = &[
    "http",
    "htcpcp",
    "tls",
    "data",
    "json",
    "media",
    "urlencoded-form",
];

#[derive(Debug, Default)]
pub struct Details {
    pub nodes: Vec<Node>,
    pub pos: usize,
    pub top: usize,
    /// Nodes whose fold state differs from the default.
    toggled: HashSet<String>,
    /// The key of the layer unfolded by default in the current tree.
    open_layer: Option<String>,
}

fn field_key(parent: &str, f: &Field) -> String {
    let own = if f.name.is_empty() {
        f.label.split(':').next().unwrap_or("")
    } else {
        f.name
    };
    format!("{parent}/{own}")
}

impl Details {
    fn expanded(&self, key: &str) -> bool {
        let default = self.open_layer.as_deref() == Some(key);
        default != self.toggled.contains(key)
    }

    /// Shows `tree`, keeping fold states and, when it is still there, the
    /// selected line.
    pub fn show(&mut self, tree: &Tree) {
        let selected = self.nodes.get(self.pos).map(|n| n.key.clone());
        self.open_layer = tree
            .layers
            .last()
            .filter(|l| APPLICATION.contains(&l.proto))
            .map(|l| l.proto.to_owned());
        self.rebuild(tree);
        self.pos = selected
            .and_then(|k| self.nodes.iter().position(|n| n.key == k))
            .unwrap_or(0);
    }

    fn rebuild(&mut self, tree: &Tree) {
        let mut nodes = Vec::new();
        for layer in &tree.layers {
            let key = layer.proto.to_owned();
            let expanded = self.expanded(&key);
            let has_children = layer.fields.iter().any(|f| !f.hidden);
            nodes.push(Node {
                depth: 0,
                label: layer.label.clone(),
                start: layer.start,
                len: layer.len,
                key: key.clone(),
                has_children,
                expanded,
            });
            if expanded {
                for f in &layer.fields {
                    self.push_field(&mut nodes, f, &key, 1);
                }
            }
        }
        self.nodes = nodes;
    }

    fn push_field(&self, nodes: &mut Vec<Node>, f: &Field, parent: &str, depth: usize) {
        if f.hidden {
            return;
        }
        let key = field_key(parent, f);
        let expanded = self.expanded(&key);
        let has_children = f.children.iter().any(|c| !c.hidden);
        nodes.push(Node {
            depth,
            label: f.label.clone(),
            start: f.start,
            len: f.len,
            key: key.clone(),
            has_children,
            expanded,
        });
        if expanded {
            for c in &f.children {
                self.push_field(nodes, c, &key, depth + 1);
            }
        }
    }

    /// Folds or unfolds the selected node (Enter, Space).
    pub fn toggle(&mut self, tree: &Tree) {
        self.set_selected(tree, None);
    }

    /// Unfolds (`Some(true)`), folds (`Some(false)`) or toggles the selected
    /// node; folding a leaf or a folded node selects its parent (as
    /// termshark's left arrow).
    pub fn set_selected(&mut self, tree: &Tree, open: Option<bool>) {
        let Some(n) = self.nodes.get(self.pos).cloned() else {
            return;
        };
        let want = open.unwrap_or(!n.expanded);
        if !n.has_children || n.expanded == want {
            if open == Some(false) && n.depth > 0 {
                if let Some(p) = self.nodes[..self.pos]
                    .iter()
                    .rposition(|m| m.depth < n.depth)
                {
                    self.pos = p;
                }
            }
            return;
        }
        if !self.toggled.remove(&n.key) {
            self.toggled.insert(n.key.clone());
        }
        self.rebuild(tree);
    }

    /// Selects the deepest node whose bytes contain `byte`, unfolding its
    /// ancestors (a click or cursor move in the hex pane).
    pub fn select_byte(&mut self, tree: &Tree, byte: usize) {
        fn deepest(fields: &[Field], parent: &str, byte: usize, path: &mut Vec<String>) -> bool {
            for f in fields {
                if f.hidden || f.len == 0 || byte < f.start || byte >= f.start + f.len {
                    continue;
                }
                let key = field_key(parent, f);
                path.push(key.clone());
                // When no child covers the byte, this field is the deepest.
                deepest(&f.children, &key, byte, path);
                return true;
            }
            false
        }
        // The last layer that covers the byte is the most specific one.
        let Some(layer) = tree
            .layers
            .iter()
            .rev()
            .find(|l| byte >= l.start && byte < l.start + l.len.max(1))
        else {
            return;
        };
        let mut path = vec![layer.proto.to_owned()];
        deepest(&layer.fields, layer.proto, byte, &mut path);
        // Unfold every ancestor of the target.
        for key in &path[..path.len() - 1] {
            if !self.expanded(key) && !self.toggled.remove(key) {
                self.toggled.insert(key.clone());
            }
        }
        self.rebuild(tree);
        if let Some(target) = path.last() {
            if let Some(p) = self.nodes.iter().position(|n| &n.key == target) {
                self.pos = p;
            }
        }
    }

    /// The selected node's bytes.
    pub fn span(&self) -> Option<(usize, usize)> {
        self.nodes.get(self.pos).map(|n| (n.start, n.len))
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.nodes.is_empty() {
            return;
        }
        let max = self.nodes.len() as isize - 1;
        self.pos = (self.pos as isize + delta).clamp(0, max) as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tree::{Layer, Value};

    fn tree() -> Tree {
        let f = |name, label: &str, start, len| {
            Field::new(name, Value::UInt(1), label.into(), start, len)
        };
        Tree {
            layers: vec![
                Layer {
                    proto: "tcp",
                    label: "Transmission Control Protocol".into(),
                    start: 0,
                    len: 20,
                    fields: vec![
                        f("tcp.srcport", "Source Port: 1", 0, 2).with(vec![]),
                        f("tcp.dstport", "Destination Port: 2", 2, 2),
                    ],
                },
                Layer {
                    proto: "htcpcp",
                    label: "Hyper Text Coffee Pot Control Protocol".into(),
                    start: 20,
                    len: 10,
                    fields: vec![f("htcpcp.request.method", "Method: BREW", 20, 4)
                        .with(vec![f("htcpcp.x", "Inner: 1", 21, 1)])],
                },
            ],
        }
    }

    #[test]
    fn top_application_layer_is_open_and_bytes_select_fields() {
        let t = tree();
        let mut d = Details::default();
        d.show(&t);
        let labels: Vec<&str> = d.nodes.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Transmission Control Protocol",
                "Hyper Text Coffee Pot Control Protocol",
                "Method: BREW"
            ]
        );
        d.select_byte(&t, 3);
        assert_eq!(d.nodes[d.pos].label, "Destination Port: 2");
        d.select_byte(&t, 21);
        assert_eq!(d.nodes[d.pos].label, "Inner: 1");
        assert_eq!(d.span(), Some((21, 1)));
        // Folding keeps the state for the next frame.
        d.pos = 0;
        d.set_selected(&t, Some(false));
        d.show(&t);
        assert!(!d.nodes[0].expanded);
    }
}
