//! Just enough HTTP/1.1 to ask a local server what it sends: one request per connection,
//! the body as it crossed the wire (still compressed if the server compressed it). xtask has no
//! HTTP client dependency, and pulling one in would slow every fresh `cargo xtask` build for
//! a handful of loopback requests.

use anyhow::{bail, Context, Result};
use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    time::{Duration, Instant},
};

pub struct Response {
    pub status: u16,
    headers: Vec<(String, String)>,
    /// The body's bytes as sent, after undoing only the chunked framing.
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` with the given `Accept-Encoding` (none: the server must send it plain).
pub fn get(addr: SocketAddr, path: &str, accept_encoding: Option<&str>) -> Result<Response> {
    let headers: Vec<(&str, &str)> = accept_encoding
        .map(|e| vec![("Accept-Encoding", e)])
        .unwrap_or_default();
    request(addr, "GET", path, &headers, None)
}

/// One request on its own connection; a JSON `body` is sent with its content type.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.unwrap_or_default().as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw).with_context(|| format!("reading the answer to {method} {path}"))
}

/// Waits until something accepts connections at `addr`, or `timeout` passes.
pub fn wait_until_listening(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn parse_response(raw: &[u8]) -> Result<Response> {
    let Some(head_end) = find(raw, b"\r\n\r\n") else {
        bail!("no end of headers in {} bytes", raw.len());
    };
    let head = std::str::from_utf8(&raw[..head_end]).context("headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line `{status_line}`"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: raw[head_end + 4..].to_vec(),
    };
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"));
    if chunked {
        response.body = dechunk(&response.body)?;
    }
    Ok(response)
}

/// Undoes `Transfer-Encoding: chunked`: hex size, CRLF, that many bytes, CRLF; size 0 ends.
fn dechunk(mut framed: &[u8]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = find(framed, b"\r\n") else {
            bail!("chunk size line without CRLF");
        };
        let size_text = std::str::from_utf8(&framed[..line_end])?;
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .with_context(|| format!("bad chunk size `{size_text}`"))?;
        if size == 0 {
            return Ok(body);
        }
        let data = line_end + 2;
        let Some(chunk) = framed.get(data..data + size) else {
            bail!("chunk of {size} bytes cut short");
        };
        body.extend_from_slice(chunk);
        framed = framed.get(data + size + 2..).unwrap_or_default();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_plain_response() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";
        let response = parse_response(raw).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("text/html"));
        assert_eq!(response.header("Content-Encoding"), None);
        assert_eq!(response.body, b"hello");
    }

    #[test]
    fn undoes_chunked_framing_only() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: br\r\n\r\n\
                    4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n";
        let response = parse_response(raw).unwrap();
        assert_eq!(response.header("content-encoding"), Some("br"));
        assert_eq!(response.body, b"Wikipedia in \r\n\r\nchunks.");
    }

    #[test]
    fn refuses_truncated_answers() {
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5").is_err());
        let cut = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\nshort";
        assert!(parse_response(cut).is_err());
    }
}
