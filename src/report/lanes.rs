//! The diagram's lanes: who the endpoints are, from the server ports —
//! by default the lab's (Browser → Web app on 5031, Web app → Coffee pot on
//! 5030), changed by `--role` rules or by the ports [`super::roles`] found.

/// Who the endpoints are, from the lab's ports: the server on a port gets
/// the rule's `server` name, its clients the `client` name.
#[derive(Debug, Clone)]
pub struct Roles {
    /// In the left-to-right order of the diagram: each rule's client, then
    /// its server.
    pub rules: Vec<RoleRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRule {
    pub port: u16,
    pub server: String,
    pub client: String,
}

/// The lab's web app port.
pub const WEBAPP_PORT: u16 = 5031;
/// The lab's coffee pot port.
pub const POT_PORT: u16 = 5030;

impl Default for Roles {
    /// The lab: Browser → Web app on 5031, Web app → Coffee pot on 5030.
    fn default() -> Self {
        Roles {
            rules: vec![
                RoleRule {
                    port: WEBAPP_PORT,
                    server: "Web app".into(),
                    client: "Browser".into(),
                },
                RoleRule {
                    port: POT_PORT,
                    server: "Coffee pot".into(),
                    client: "Web app".into(),
                },
            ],
        }
    }
}

impl Roles {
    /// Applies `PORT=NAME` (the server on PORT) or `PORT:client=NAME` (its
    /// clients).
    pub fn apply(&mut self, spec: &str) -> Result<(), String> {
        let (key, name) = spec
            .split_once('=')
            .ok_or_else(|| format!("--role {spec}: expected PORT=NAME or PORT:client=NAME"))?;
        let (port, client) = match key.trim().split_once(':') {
            Some((p, "client")) => (p, true),
            Some((p, "server")) => (p, false),
            Some(_) => {
                return Err(format!(
                    "--role {spec}: expected PORT=NAME or PORT:client=NAME"
                ))
            }
            None => (key.trim(), false),
        };
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| format!("--role {spec}: {port:?} is not a port number"))?;
        let name = name.trim().trim_matches('"').to_string();
        if name.is_empty() {
            return Err(format!("--role {spec}: empty name"));
        }
        match self.rules.iter_mut().find(|r| r.port == port) {
            Some(r) if client => r.client = name,
            Some(r) => r.server = name,
            None => self.rules.push(RoleRule {
                port,
                server: if client {
                    format!("Server :{port}")
                } else {
                    name.clone()
                },
                client: if client { name } else { "Client".to_string() },
            }),
        }
        Ok(())
    }

    /// Names in left-to-right order.
    pub fn order(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.rules {
            for n in [r.client.as_str(), r.server.as_str()] {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// The (client, server) names of a connection to `server_port`.
    pub fn names(&self, server_port: u16) -> Option<(&str, &str)> {
        self.rules
            .iter()
            .find(|r| r.port == server_port)
            .map(|r| (r.client.as_str(), r.server.as_str()))
    }
}
