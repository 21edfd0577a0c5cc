//! Helpers shared by the lab tests: servers on 127.0.0.1 ephemeral ports,
//! raw HTCPCP and HTTP exchanges on loopback.
#![allow(dead_code)]

use coffeeshark::lab::client::{self, Reply};
use coffeeshark::lab::log::Log;
use coffeeshark::lab::pot::{self, PotConfig, PotHandle};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const CT: &str = "Content-Type: application/coffee-pot-command\r\n";

pub fn pot_config(dir: &Path, brew_time: Duration, read_timeout: Duration) -> PotConfig {
    let mut cfg = PotConfig::new(dir.to_path_buf());
    cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.brew_time = brew_time;
    cfg.read_timeout = read_timeout;
    cfg.log = Log::off();
    cfg
}

pub async fn start_pot(dir: &Path, brew_time: Duration, read_timeout: Duration) -> PotHandle {
    pot::start(pot_config(dir, brew_time, read_timeout))
        .await
        .expect("pot starts")
}

/// Sends raw bytes to the pot and reads its whole answer (the pot closes).
pub async fn raw(addr: SocketAddr, request: &str) -> Reply {
    client::exchange(
        &addr.to_string(),
        request.as_bytes(),
        Duration::from_secs(10),
    )
    .await
    .unwrap_or_else(|e| {
        let start: String = request.chars().take(120).collect();
        panic!("exchange with the pot failed: {e}; request {start:?}")
    })
}

/// A well-formed request for `method` with extra header lines and a body.
pub fn req(method: &str, extra: &str, body: &str) -> String {
    format!("{method} coffee://ducky HTTP/1.1\r\n{CT}{extra}\r\n{body}")
}

/// A minimal HTTP/1.1 client: one request, `Connection: close`, reads to EOF.
/// Returns (status, headers, body).
pub async fn http_get(
    addr: SocketAddr,
    target: &str,
    extra_headers: &str,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let work = async {
        let mut s = TcpStream::connect(addr)
            .await
            .expect("connect to the web app");
        let req = format!(
            "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra_headers}\r\n"
        );
        s.write_all(req.as_bytes()).await.expect("send");
        let mut data = Vec::new();
        s.read_to_end(&mut data).await.expect("read");
        data
    };
    let data = tokio::time::timeout(Duration::from_secs(20), work)
        .await
        .expect("web app answered in time");
    let split = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&data[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status code");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = data[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..eol])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .expect("chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
