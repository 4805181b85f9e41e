//! The binary framing of sync messages: a fixed header that says what the frame is and which
//! protocol version wrote it (readable even when the body format changes, so an old app gets a
//! clear "update the app"), then a compact postcard body, zlib-compressed. Decoding is bounded:
//! a frame or body over its limit is refused before it is inflated past the limit.
//!
//! ```text
//! "FLSY" | kind: u8 (1 request, 2 response) | protocol version: u32 BE | flags: u8 | body
//! flags bit 0: body is zlib-compressed
//! ```

use super::{PROTOCOL_VERSION, SyncRequest, SyncResponse};
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::{Read, Write};

/// The content type of sync frames over HTTP.
pub const CONTENT_TYPE: &str = "application/x-fieldline-sync";

const MAGIC: &[u8; 4] = b"FLSY";
const HEADER_LEN: usize = 10;
const FLAG_ZLIB: u8 = 1;

/// Which message a frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A device's [`SyncRequest`].
    Request,
    /// The server's [`SyncResponse`].
    Response,
}

impl FrameKind {
    fn byte(self) -> u8 {
        match self {
            FrameKind::Request => 1,
            FrameKind::Response => 2,
        }
    }
}

/// Size limits for decoding untrusted frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireLimits {
    /// Largest frame accepted, as received.
    pub max_frame_bytes: usize,
    /// Largest body once decompressed.
    pub max_body_bytes: usize,
}

impl Default for WireLimits {
    fn default() -> Self {
        WireLimits {
            max_frame_bytes: 16 * 1024 * 1024,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Not a Fieldline sync frame at all.
    #[error("not a Fieldline sync frame")]
    NotAFrame,
    /// A frame of the other kind (a response where a request was expected).
    #[error("expected a sync {expected}, got another kind of frame")]
    WrongKind {
        /// What was expected.
        expected: &'static str,
    },
    /// Written by another protocol version.
    #[error("sync protocol {found} is not {PROTOCOL_VERSION}, the one this side speaks")]
    Version {
        /// The version in the frame.
        found: u32,
    },
    /// Over a size limit.
    #[error("the sync message is larger than {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// The body does not decode.
    #[error("the sync message is corrupt: {0}")]
    Corrupt(String),
}

/// The kind and protocol version of a frame, from its header alone.
pub fn peek(frame: &[u8]) -> Result<(FrameKind, u32), WireError> {
    if frame.len() < HEADER_LEN || &frame[..4] != MAGIC {
        return Err(WireError::NotAFrame);
    }
    let kind = match frame[4] {
        1 => FrameKind::Request,
        2 => FrameKind::Response,
        _ => return Err(WireError::NotAFrame),
    };
    let version = u32::from_be_bytes([frame[5], frame[6], frame[7], frame[8]]);
    Ok((kind, version))
}

/// Encodes a device's request.
pub fn encode_request(request: &SyncRequest) -> Vec<u8> {
    encode(FrameKind::Request, request)
}

/// Encodes the server's response.
pub fn encode_response(response: &SyncResponse) -> Vec<u8> {
    encode(FrameKind::Response, response)
}

/// Decodes a request within `limits`.
pub fn decode_request(frame: &[u8], limits: &WireLimits) -> Result<SyncRequest, WireError> {
    decode(frame, FrameKind::Request, "request", limits)
}

/// Decodes a response within `limits`.
pub fn decode_response(frame: &[u8], limits: &WireLimits) -> Result<SyncResponse, WireError> {
    decode(frame, FrameKind::Response, "response", limits)
}

fn encode<T: Serialize>(kind: FrameKind, message: &T) -> Vec<u8> {
    let mut frame = Vec::with_capacity(256);
    frame.extend_from_slice(MAGIC);
    frame.push(kind.byte());
    frame.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    frame.push(FLAG_ZLIB);
    // Serializing plain structs into a Vec cannot fail; an empty body would be refused on decode.
    let body = postcard::to_stdvec(message).unwrap_or_default();
    let mut encoder = ZlibEncoder::new(frame, Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(&body);
    encoder.finish().unwrap_or_default()
}

fn decode<T: DeserializeOwned>(
    frame: &[u8],
    kind: FrameKind,
    expected: &'static str,
    limits: &WireLimits,
) -> Result<T, WireError> {
    if frame.len() > limits.max_frame_bytes {
        return Err(WireError::TooLarge {
            limit: limits.max_frame_bytes,
        });
    }
    let (found_kind, version) = peek(frame)?;
    if found_kind != kind {
        return Err(WireError::WrongKind { expected });
    }
    if version != PROTOCOL_VERSION {
        return Err(WireError::Version { found: version });
    }
    let flags = frame[HEADER_LEN - 1];
    let payload = &frame[HEADER_LEN..];
    let body = if flags & FLAG_ZLIB != 0 {
        let mut body = Vec::new();
        ZlibDecoder::new(payload)
            .take(limits.max_body_bytes as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| WireError::Corrupt(e.to_string()))?;
        body
    } else {
        payload.to_vec()
    };
    if body.len() > limits.max_body_bytes {
        return Err(WireError::TooLarge {
            limit: limits.max_body_bytes,
        });
    }
    postcard::from_bytes(&body).map_err(|e| WireError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::{DocChanges, DocHeads, DocSnapshot, Rejection};

    fn request() -> SyncRequest {
        SyncRequest {
            app_version: "1.0.0".into(),
            device_id: "3f1c0a52-8d7e-4b7a-9a51-0c2d7f3e9b10".into(),
            cursor: Some(42),
            uploads: vec![DocChanges {
                order_id: "order-1".into(),
                changes: vec![vec![1, 2, 3], vec![4, 5]],
            }],
            holdings: vec![],
        }
    }

    #[test]
    fn frames_round_trip() {
        let req = request();
        let frame = encode_request(&req);
        assert_eq!(decode_request(&frame, &WireLimits::default()), Ok(req));
        let resp = SyncResponse {
            acked: vec![DocHeads {
                order_id: "order-1".into(),
                heads: vec![[7; 32]],
            }],
            documents: vec![DocSnapshot {
                order_id: "order-2".into(),
                doc: vec![9; 100],
            }],
            rejected: vec![Rejection {
                order_id: "order-3".into(),
                hashes: vec![[1; 32]],
                code: "actor_not_bound".into(),
                message: "not this device's actor".into(),
            }],
            ..SyncResponse::empty(43)
        };
        let frame = encode_response(&resp);
        assert_eq!(decode_response(&frame, &WireLimits::default()), Ok(resp));
    }

    /// Recorded bytes: if this fails, the wire format changed. Devices in the field speak the
    /// old one, so bump PROTOCOL_VERSION and keep the old decoder, or keep the format.
    #[test]
    fn the_wire_format_is_stable() {
        let frame = encode_request(&request());
        insta::assert_snapshot!("sync_request_v1", hex(&frame));
        let decoded = decode_request(&frame, &WireLimits::default()).expect("decodes");
        assert_eq!(decoded.cursor, Some(42));
    }

    /// An answer with a reset, recorded: the `resets` field travels last.
    #[test]
    fn the_response_format_is_stable() {
        let response = SyncResponse {
            rejected: vec![Rejection {
                order_id: "order-3".into(),
                hashes: vec![[1; 32]],
                code: "office_write".into(),
                message: "writes the office section".into(),
            }],
            resets: vec![DocSnapshot {
                order_id: "order-3".into(),
                doc: vec![5; 4],
            }],
            ..SyncResponse::empty(43)
        };
        let frame = encode_response(&response);
        insta::assert_snapshot!("sync_response_v1_with_resets", hex(&frame));
        assert_eq!(
            decode_response(&frame, &WireLimits::default()),
            Ok(response)
        );
    }

    /// The answer as apps built before `resets` read it: every field but the last.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct ResponseBeforeResets {
        cursor: u64,
        acked: Vec<DocHeads>,
        documents: Vec<DocSnapshot>,
        changes: Vec<DocChanges>,
        revoked: Vec<String>,
        rejected: Vec<Rejection>,
        more: bool,
        reconcile: bool,
    }

    #[test]
    fn an_app_from_before_resets_still_reads_the_answer() {
        let response = SyncResponse {
            revoked: vec!["order-9".into()],
            more: true,
            resets: vec![DocSnapshot {
                order_id: "order-3".into(),
                doc: vec![5; 40],
            }],
            ..SyncResponse::empty(43)
        };
        let frame = encode_response(&response);
        let old: ResponseBeforeResets = decode(
            &frame,
            FrameKind::Response,
            "response",
            &WireLimits::default(),
        )
        .expect("an older app decodes the newer answer");
        assert_eq!(old.cursor, 43);
        assert_eq!(old.revoked, ["order-9"]);
        assert!(old.more);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_frame_from_another_version_says_so_from_the_header() {
        let mut frame = encode_request(&request());
        frame[5..9].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(peek(&frame), Ok((FrameKind::Request, 0)));
        assert_eq!(
            decode_request(&frame, &WireLimits::default()),
            Err(WireError::Version { found: 0 })
        );
    }

    #[test]
    fn limits_are_enforced_before_inflating() {
        let mut big = request();
        big.uploads[0].changes = vec![vec![0; 1_000_000]];
        let frame = encode_request(&big);
        assert!(frame.len() < 10_000, "zeros compress well: {}", frame.len());
        let tight = WireLimits {
            max_frame_bytes: 1_000_000,
            max_body_bytes: 100_000,
        };
        assert_eq!(
            decode_request(&frame, &tight),
            Err(WireError::TooLarge { limit: 100_000 })
        );
        let tiny_frame = WireLimits {
            max_frame_bytes: 16,
            max_body_bytes: 100_000,
        };
        assert_eq!(
            decode_request(&frame, &tiny_frame),
            Err(WireError::TooLarge { limit: 16 })
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let limits = WireLimits::default();
        for junk in [&b""[..], b"FLSY", b"hello world!", &[0xff; 64][..]] {
            assert!(decode_request(junk, &limits).is_err());
        }
        let mut frame = encode_request(&request());
        let last = frame.len() - 1;
        frame[last] ^= 0xff;
        frame.truncate(last - 3);
        assert!(decode_request(&frame, &limits).is_err());
        let response = encode_response(&SyncResponse::empty(1));
        assert_eq!(
            decode_request(&response, &limits),
            Err(WireError::WrongKind {
                expected: "request"
            })
        );
    }
}
