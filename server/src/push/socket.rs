//! One poke connection after the WebSocket upgrade: `{"type":"hello"}`, then `{"type":"changed"}`
//! whenever the user is poked (paced, see [`Pacer`]), pings to find dead peers, and a clean close
//! with a reason on eviction, shutdown or bad client input. Client text is ignored.

use super::{Pacer, PushEvent, Subscription};
use crate::config::PushConfig;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use std::time::{Duration, Instant};

/// First message on every connection: the client should sync once now.
pub const HELLO: &str = r#"{"type":"hello"}"#;
/// Something changed for the user: the client should sync.
pub const CHANGED: &str = r#"{"type":"changed"}"#;

/// Close code for a connection replaced by a newer one of the same user (policy violation).
pub const CLOSE_REPLACED: u16 = close_code::POLICY;
/// Close code for binary messages (unsupported data).
pub const CLOSE_BINARY: u16 = close_code::UNSUPPORTED;
/// Close code for a server shutdown (going away).
pub const CLOSE_SHUTDOWN: u16 = close_code::AWAY;

/// How long one send may take before the client is taken as stuck and dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for the client's answer to our close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a connection ended, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    ClientClosed,
    ClientGone,
    Replaced,
    ShuttingDown,
    Binary,
    Silent,
    SendFailed,
}

/// Serves one connection until it ends, then closes it with a reason when the server ended it.
pub async fn run(mut socket: WebSocket, mut subscription: Subscription, config: PushConfig) {
    let end = serve(&mut socket, &mut subscription, &config).await;
    let close = match end {
        End::Replaced => Some((
            CLOSE_REPLACED,
            format!(
                "too many connections for this user (limit {}): this oldest one was closed",
                config.max_connections_per_user.max(1)
            ),
        )),
        End::ShuttingDown => Some((CLOSE_SHUTDOWN, "server shutting down".to_string())),
        End::Binary => Some((CLOSE_BINARY, "binary messages are not accepted".to_string())),
        End::Silent => Some((close_code::AWAY, "no answer to pings".to_string())),
        End::ClientClosed | End::ClientGone | End::SendFailed => None,
    };
    if let Some((code, reason)) = close {
        close_with(&mut socket, code, reason).await;
    } else if end == End::ClientClosed {
        // Reading again flushes the automatic reply to the client's close frame.
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.recv()).await;
    }
    tracing::debug!(end = ?end, "push connection ended");
}

async fn serve(
    socket: &mut WebSocket,
    subscription: &mut Subscription,
    config: &PushConfig,
) -> End {
    if !send(socket, Message::Text(Utf8Bytes::from_static(HELLO))).await {
        return End::SendFailed;
    }
    let ping_every = Duration::from_secs(config.ping_interval_secs.max(1));
    let mut pacer = Pacer::new(Duration::from_millis(config.coalesce_ms));
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            event = subscription.next() => match event {
                PushEvent::Changed => {
                    let wait = pacer.wait_before_send(Instant::now());
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    // Pokes that came in while waiting ride on this one message.
                    subscription.mark_seen();
                    if !send(socket, Message::Text(Utf8Bytes::from_static(CHANGED))).await {
                        return End::SendFailed;
                    }
                    pacer.sent(Instant::now());
                }
                PushEvent::Evicted => return End::Replaced,
                PushEvent::ShuttingDown => return End::ShuttingDown,
            },
            received = socket.recv() => match received {
                None => return End::ClientGone,
                Some(Err(e)) => {
                    // Oversized messages end here too (the limit is set at the upgrade).
                    tracing::debug!(error = %e, "push connection read failed");
                    return End::ClientGone;
                }
                Some(Ok(Message::Close(_))) => return End::ClientClosed,
                Some(Ok(Message::Binary(_))) => return End::Binary,
                Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => {
                    last_heard = Instant::now();
                }
            },
            _ = pings.tick() => {
                if last_heard.elapsed() > ping_every * 2 + SEND_TIMEOUT {
                    return End::Silent;
                }
                if !send(socket, Message::Ping(Default::default())).await {
                    return End::SendFailed;
                }
            }
        }
    }
}

/// Sends one message; `false` when the client is gone or too slow to take it.
async fn send(socket: &mut WebSocket, message: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await,
        Ok(Ok(()))
    )
}

async fn close_with(socket: &mut WebSocket, code: u16, reason: String) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from(reason),
    };
    if send(socket, Message::Close(Some(frame))).await {
        // Wait briefly for the client's close reply so the close is clean on both sides.
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            while let Some(Ok(_)) = socket.recv().await {}
        })
        .await;
    }
}
