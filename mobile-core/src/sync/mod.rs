//! The sync protocol between a device and the server, as plain types. One exchange moves a
//! whole route in the common case: the device uploads what the server has not acknowledged and
//! its feed cursor; the server answers with everything the device may see since that cursor.
//! The binary framing (versioned, compressed, size-limited) is in [`wire`].

pub mod wire;

use serde::{Deserialize, Serialize};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// An automerge change hash on the wire.
pub type Hash = [u8; 32];

/// Changes to one order's document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocChanges {
    /// The order (document) id.
    pub order_id: String,
    /// Raw automerge changes, in causal order.
    pub changes: Vec<Vec<u8>>,
}

/// The heads of one order's document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocHeads {
    /// The order (document) id.
    pub order_id: String,
    /// The document's heads.
    pub heads: Vec<Hash>,
}

/// A whole document, for an order new to the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSnapshot {
    /// The order (document) id.
    pub order_id: String,
    /// The saved automerge document.
    pub doc: Vec<u8>,
}

/// Uploaded changes the server refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The order the changes were for.
    pub order_id: String,
    /// The refused changes (and those that depend on them).
    pub hashes: Vec<Hash>,
    /// Stable reason code (`actor_not_bound`, `malformed_change`, `not_assigned`...).
    pub code: String,
    /// What happened, for the crew and for support.
    pub message: String,
}

/// What a device sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The app's version (`1.4.2`), for the server's minimum-version check and the device monitor.
    pub app_version: String,
    /// The device's id, as registered at sign-in.
    pub device_id: String,
    /// The feed position up to which the device has applied everything (`None`: never synced).
    pub cursor: Option<u64>,
    /// Every change the server has not acknowledged, per order (field-found orders included).
    pub uploads: Vec<DocChanges>,
    /// Only when the server asked to reconcile: the heads of every document the device holds.
    pub holdings: Vec<DocHeads>,
}

/// What the server answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// The feed position the device has now seen everything up to; store it with the changes.
    pub cursor: u64,
    /// For each uploaded document, the heads the server now holds: the device's changes in
    /// their history are acknowledged.
    pub acked: Vec<DocHeads>,
    /// Orders new to the device, whole.
    pub documents: Vec<DocSnapshot>,
    /// New changes to documents the device holds.
    pub changes: Vec<DocChanges>,
    /// Orders no longer the user's: upload what is still pending for them, then drop them.
    pub revoked: Vec<String>,
    /// Uploaded changes the server refused.
    pub rejected: Vec<Rejection>,
    /// More is waiting: sync again at once with the new cursor.
    pub more: bool,
    /// The server's feed is behind the device's cursor (a restore from backup): sync again
    /// sending `holdings`, and the server answers by document heads.
    pub reconcile: bool,
    /// The server's version of each document some of whose uploaded changes it quarantined
    /// (named in `rejected`): reset the document to it, write with a new actor, and replay the
    /// user's actions the server has not refused. Added after protocol 1 shipped; it is the
    /// LAST field, so an older app, which ignores trailing bytes, still reads the answer.
    #[serde(default)]
    pub resets: Vec<DocSnapshot>,
}

impl SyncResponse {
    /// An answer that carries nothing new.
    pub fn empty(cursor: u64) -> Self {
        SyncResponse {
            cursor,
            acked: Vec::new(),
            documents: Vec::new(),
            changes: Vec::new(),
            revoked: Vec::new(),
            rejected: Vec::new(),
            more: false,
            reconcile: false,
            resets: Vec::new(),
        }
    }
}
