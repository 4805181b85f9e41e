//! Seals and meters the field installed: what the server checks across orders, since a crew's
//! device only knows the seals and stock it was given.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What was installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentKind {
    /// A lock or seal put on a valve or meter.
    Seal,
    /// A new meter fitted by an exchange.
    Meter,
}

impl EquipmentKind {
    /// The stable name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            EquipmentKind::Seal => "seal",
            EquipmentKind::Meter => "meter",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<EquipmentKind> {
        match s {
            "seal" => Some(EquipmentKind::Seal),
            "meter" => Some(EquipmentKind::Meter),
            _ => None,
        }
    }
}

/// One seal or meter a field entry of an order installed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Install {
    /// Seal or meter.
    pub kind: EquipmentKind,
    /// The seal number or meter serial, trimmed and upper-cased (how the rules compare them).
    pub number: String,
    /// The field entry that recorded it.
    pub entry_id: String,
}

/// An install of the same number on another order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InstalledElsewhere {
    /// Seal or meter.
    pub kind: EquipmentKind,
    /// The number both orders name.
    pub number: String,
    /// The other order.
    pub order_id: Uuid,
    /// Its office number.
    pub order_number: i64,
    /// Its entry that recorded the install.
    pub entry_id: String,
}

/// Where to look for installed seals: the orders on a meter, or on a premise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EquipmentPlace {
    /// Orders whose meter is this one.
    Meter(Uuid),
    /// Orders at this premise.
    Premise(Uuid),
}

/// A seal installed by an order at a meter or premise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstalledSeal {
    /// The seal number, trimmed and upper-cased.
    pub number: String,
    /// The order that installed it.
    pub order_id: Uuid,
    /// Its office number.
    pub order_number: i64,
    /// Its type (a disconnect, a turn-off, an inspection).
    pub order_type: fieldline_core::OrderType,
    /// Its entry that recorded the install.
    pub entry_id: String,
    /// When the server recorded the install (the sync that brought it).
    pub installed_at: chrono::DateTime<chrono::Utc>,
}
