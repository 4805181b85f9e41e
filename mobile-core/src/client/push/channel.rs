//! One connection to the poke channel, `GET /api/v1/ws`: a plain TCP stream (no TLS yet, like
//! the HTTP client), the WebSocket handshake with the access token in `Authorization`, then the
//! server's text frames read one at a time. Pings are answered by tungstenite as frames are
//! read; a stream silent for longer than the server's ping rhythm allows is taken as dead.

use super::super::error::ClientError;
use super::super::http;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::Duration;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;
use tungstenite::http::HeaderValue;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

/// The channel's path on the server.
pub(crate) const PATH: &str = "/api/v1/ws";

/// Largest message the client accepts: pokes are a few bytes.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// How long closing may take when the listener stops.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Where to connect: the TCP address and the WebSocket URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    host: String,
    port: u16,
    url: String,
}

impl Endpoint {
    /// The channel of the server at `server_url` (`http://host:port[/prefix]`, as signed in
    /// to). `https` is refused for now: this build has no TLS.
    pub(crate) fn of(server_url: &str) -> Result<Endpoint, ClientError> {
        let server_url = server_url.trim_end_matches('/');
        let rest = if let Some(rest) = server_url.strip_prefix("http://") {
            rest
        } else if server_url.starts_with("https://") {
            return Err(ClientError::Protocol(format!(
                "the poke channel of {server_url} needs TLS, which this build does not have yet; \
                 sync by hand"
            )));
        } else {
            return Err(ClientError::Protocol(format!(
                "the server URL {server_url:?} is not http://host[:port]"
            )));
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let (host, port) = split_authority(authority).ok_or_else(|| {
            ClientError::Protocol(format!(
                "the server URL {server_url:?} has no usable host and port"
            ))
        })?;
        Ok(Endpoint {
            host,
            port,
            url: format!("ws://{rest}{PATH}"),
        })
    }

    /// The WebSocket URL (`ws://host:port/api/v1/ws`).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

/// `host[:port]` (IPv6 in brackets) into the host to resolve and the port (80 by default).
fn split_authority(authority: &str) -> Option<(String, u16)> {
    let authority = authority.rsplit('@').next()?;
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().ok()?,
            None if after.is_empty() => 80,
            None => return None,
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, port.parse().ok()?),
            None => (authority, 80),
        }
    };
    (!host.is_empty()).then(|| (host.to_string(), port))
}

/// What the server said on the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Said {
    /// `{"type":"hello"}`: the channel is open (the listener syncs on every connect anyway).
    Hello,
    /// `{"type":"changed"}`: something changed for the user; sync.
    Changed,
    /// A message this client does not know (a newer server): ignored.
    Other,
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The server closed it with `code` and `reason` (1001 shutdown, 1008 too many connections).
    Closed { code: u16, reason: String },
    /// The stream broke, went silent, or was shut by the listener itself.
    Broken(String),
}

impl Ended {
    /// As an error for the app: the channel is down (the listener reconnects).
    pub(crate) fn to_error(&self) -> ClientError {
        match self {
            Ended::Closed { code, reason } if reason.is_empty() => {
                ClientError::Network(format!("the server closed the poke channel (code {code})"))
            }
            Ended::Closed { code, reason } => ClientError::Network(format!(
                "the server closed the poke channel: {reason} (code {code})"
            )),
            Ended::Broken(why) => ClientError::Network(format!("the poke channel broke: {why}")),
        }
    }
}

/// An open channel.
pub(crate) struct Channel {
    ws: WebSocket<TcpStream>,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel").finish_non_exhaustive()
    }
}

/// Time limits of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// For the TCP connect and, again, for the handshake.
    pub connect: Duration,
    /// Longest silence (pings included) before the stream is taken as dead.
    pub silence: Duration,
}

/// Connects and upgrades with `token`. `register` gets a handle on the stream as soon as it is
/// connected, before the handshake, so the listener can shut it to stop promptly. A refusal
/// before the upgrade is mapped like any HTTP answer (401 "sign in again", 426 "update the
/// app"); a server without the channel (404) is a `Protocol` error.
pub(crate) fn open(
    endpoint: &Endpoint,
    token: &str,
    limits: Limits,
    register: impl FnOnce(&TcpStream),
) -> Result<Channel, ClientError> {
    let stream = connect_tcp(endpoint, limits.connect)?;
    let io = |what: &str, e: std::io::Error| {
        ClientError::Network(format!("the poke channel {what}: {e}"))
    };
    stream
        .set_read_timeout(Some(limits.connect))
        .map_err(|e| io("cannot set a timeout", e))?;
    stream
        .set_write_timeout(Some(limits.connect))
        .map_err(|e| io("cannot set a timeout", e))?;
    let _ = stream.set_nodelay(true);
    register(&stream);

    let mut request = endpoint
        .url()
        .into_client_request()
        .map_err(|e| ClientError::Protocol(format!("bad poke channel URL: {e}")))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| ClientError::Protocol("the access token is not a valid header".into()))?;
    request.headers_mut().insert("authorization", bearer);
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    let ws = match tungstenite::client::client_with_config(request, stream, Some(config)) {
        Ok((ws, _response)) => ws,
        Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            let status = response.status().as_u16();
            let body = response.body().as_deref().unwrap_or_default();
            return Err(match status {
                404 => ClientError::Protocol(format!(
                    "the server has no poke channel ({PATH} answered 404): sync by hand"
                )),
                // Throttled or timed out: worth another try later.
                408 | 429 => http::refusal(503, body),
                _ => http::refusal(status, body),
            });
        }
        Err(HandshakeError::Failure(e)) => {
            return Err(ClientError::Network(format!(
                "the poke channel handshake failed: {e}"
            )));
        }
        Err(HandshakeError::Interrupted(_)) => {
            return Err(ClientError::Network(format!(
                "the server did not finish the poke channel handshake within {:?}",
                limits.connect
            )));
        }
    };
    ws.get_ref()
        .set_read_timeout(Some(limits.silence))
        .map_err(|e| io("cannot set a timeout", e))?;
    Ok(Channel { ws })
}

fn connect_tcp(endpoint: &Endpoint, timeout: Duration) -> Result<TcpStream, ClientError> {
    let addrs = (endpoint.host.as_str(), endpoint.port)
        .to_socket_addrs()
        .map_err(|e| ClientError::Network(format!("cannot resolve {}: {e}", endpoint.host)))?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(format!("{addr}: {e}")),
        }
    }
    Err(ClientError::Network(format!(
        "cannot connect to the poke channel at {}:{} ({})",
        endpoint.host,
        endpoint.port,
        last.unwrap_or_else(|| "no address".into())
    )))
}

impl Channel {
    /// The next thing the server said, or why the connection ended.
    pub(crate) fn next(&mut self) -> Result<Said, Ended> {
        loop {
            match self.ws.read() {
                Ok(Message::Text(text)) => return Ok(said(text.as_str())),
                // Pings are answered inside `read`; binary is not part of the protocol.
                Ok(
                    Message::Ping(_) | Message::Pong(_) | Message::Binary(_) | Message::Frame(_),
                ) => {}
                Ok(Message::Close(frame)) => {
                    // `read` queued the close reply; reading on sends it and ends cleanly.
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    let _ = self.ws.get_ref().set_read_timeout(Some(CLOSE_TIMEOUT));
                    while self.ws.read().is_ok() {}
                    return Err(Ended::Closed { code, reason });
                }
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(Ended::Broken(
                        "the server went silent (no message or ping in time)".into(),
                    ));
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Err(Ended::Broken("the connection was closed".into()));
                }
                Err(e) => return Err(Ended::Broken(e.to_string())),
            }
        }
    }

    /// Says goodbye (a close frame, best effort and briefly) and drops the connection.
    pub(crate) fn close(mut self) {
        let _ = self.ws.get_ref().set_write_timeout(Some(CLOSE_TIMEOUT));
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
        let _ = self.ws.get_ref().shutdown(Shutdown::Both);
    }
}

/// A text frame's meaning: its `type`.
fn said(text: &str) -> Said {
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(rename = "type", borrow)]
        kind: std::borrow::Cow<'a, str>,
    }
    match serde_json::from_str::<Typed<'_>>(text) {
        Ok(t) if t.kind == "hello" => Said::Hello,
        Ok(t) if t.kind == "changed" => Said::Changed,
        _ => Said::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_channel_url_follows_the_server_url() {
        let e = Endpoint::of("http://127.0.0.1:8080/").expect("plain http");
        assert_eq!(e.url(), "ws://127.0.0.1:8080/api/v1/ws");
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.1", 8080));
        let e = Endpoint::of("http://fieldline.lan/tenant").expect("a prefix");
        assert_eq!(e.url(), "ws://fieldline.lan/tenant/api/v1/ws");
        assert_eq!((e.host.as_str(), e.port), ("fieldline.lan", 80));
        let e = Endpoint::of("http://[::1]:9000").expect("IPv6");
        assert_eq!((e.host.as_str(), e.port), ("::1", 9000));
    }

    #[test]
    fn urls_the_channel_cannot_use_are_refused_with_the_reason() {
        let tls = Endpoint::of("https://fieldline.example.org").expect_err("no TLS yet");
        assert!(
            matches!(&tls, ClientError::Protocol(m) if m.contains("TLS")),
            "{tls:?}"
        );
        for bad in ["ftp://x", "http://", "http://host:port", "http://[::1"] {
            assert!(
                matches!(Endpoint::of(bad), Err(ClientError::Protocol(_))),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn server_messages_are_read_by_type_and_unknown_ones_ignored() {
        assert_eq!(said(r#"{"type":"hello"}"#), Said::Hello);
        assert_eq!(said(r#"{"type":"changed"}"#), Said::Changed);
        assert_eq!(said(r#"{"type":"changed","extra":1}"#), Said::Changed);
        assert_eq!(said(r#"{"type":"maintenance"}"#), Said::Other);
        assert_eq!(said("not json"), Said::Other);
    }
}
