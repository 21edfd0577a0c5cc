//! The HTCPCP client of the web app: one new TCP connection per request, as
//! the lab's web app does, and the response read until the pot closes.

use super::htcpcp::{find_head_end, COMMAND_MEDIA_TYPE};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response the client reads.
pub const MAX_RESPONSE: usize = 1 << 20;

/// A response from the pot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub version: String,
    pub code: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Builds a request as the lab's web app writes it: start line with
/// `HTTP/1.1`, `Content-Type`, the optional headers, a blank line and the
/// body (`Content-Length` added when there is a body).
pub fn build_request(method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut req = format!("{method} {uri} HTTP/1.1\r\nContent-Type: {COMMAND_MEDIA_TYPE}\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    req.into_bytes()
}

/// Parses a whole response (everything the pot sent before closing).
pub fn parse_reply(data: &[u8]) -> io::Result<Reply> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("pot sent {what}"));
    let (head_len, body_start) = find_head_end(data)
        .or_else(|| data.ends_with(b"\n").then_some((data.len(), data.len())))
        .ok_or_else(|| bad("no response head"))?;
    let head = String::from_utf8_lossy(&data[..head_len]);
    let mut lines = head.lines();
    let status = lines.next().ok_or_else(|| bad("nothing"))?;
    let mut parts = status.splitn(3, ' ');
    let version = parts.next().unwrap_or("").to_string();
    let code = parts
        .next()
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| bad("a malformed status line"))?;
    let reason = parts.next().unwrap_or("").trim().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = &data[body_start..];
    let declared = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    if let Some(len) = declared {
        body = &body[..len.min(body.len())];
    }
    Ok(Reply {
        version,
        code,
        reason,
        headers,
        body: String::from_utf8_lossy(body).into_owned(),
    })
}

/// Connects to `pot`, sends `request`, reads until the pot closes (or
/// [`MAX_RESPONSE`]) and parses. The whole exchange is bounded by `timeout`.
pub async fn exchange(pot: &str, request: &[u8], timeout: Duration) -> io::Result<Reply> {
    let work = async {
        let mut stream = TcpStream::connect(pot).await?;
        stream.set_nodelay(true)?;
        stream.write_all(request).await?;
        let mut data = Vec::with_capacity(512);
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 || data.len() + n > MAX_RESPONSE {
                break;
            }
            data.extend_from_slice(&chunk[..n]);
        }
        parse_reply(&data)
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the pot did not answer in time"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_with_and_without_headers() {
        let r = parse_reply(b"HTCPCP/1.1 418 I'm a Teapot\r\n\r\n").unwrap();
        assert_eq!(
            (r.code, r.reason.as_str(), r.body.as_str()),
            (418, "I'm a Teapot", "")
        );
        let r =
            parse_reply(b"HTCPCP/1.1 200 OK\r\nServer: CoffeePot\r\nContent-Length: 2\r\n\r\n{}xx")
                .unwrap();
        assert_eq!(
            (r.header("server"), r.body.as_str()),
            (Some("CoffeePot"), "{}")
        );
        let r = parse_reply(b"HTCPCP/1.1 406 Not Acceptable\r\n\r\nPot is busy").unwrap();
        assert_eq!(r.body, "Pot is busy");
        assert!(parse_reply(b"").is_err());
        assert!(parse_reply(b"HTCPCP/1.1 abc\r\n\r\n").is_err());
        assert_eq!(
            build_request("BREW", "coffee://ducky", &[("Use-Pot", "tea")], "start"),
            b"BREW coffee://ducky HTTP/1.1\r\nContent-Type: application/coffee-pot-command\r\nUse-Pot: tea\r\nContent-Length: 5\r\n\r\nstart".to_vec()
        );
    }
}
