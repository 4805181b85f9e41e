//! The utility's reference data as the billing system knows it: premises, accounts, meters with
//! their registers and read history, and the readers' routes.

use super::UtilityId;
use chrono::{DateTime, NaiveDate, Utc};
use fieldline_core::model::{AccountStatus, Hazard};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A service address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Premise {
    /// Its id.
    pub id: Uuid,
    /// The utility it belongs to.
    pub utility_id: UtilityId,
    /// Street address (`412 Elm St`).
    pub address: String,
    /// City.
    pub city: String,
    /// Latitude, WGS84 degrees.
    pub lat: Option<f64>,
    /// Longitude, WGS84 degrees.
    pub lon: Option<f64>,
    /// Gate codes, dogs, keys.
    pub access_notes: Option<String>,
    /// Hazards with their alert level.
    pub hazards: Vec<Hazard>,
    /// Service area (moratoriums apply per area).
    pub service_area: Option<String>,
    /// Billing book the premise is read in.
    pub book: Option<String>,
}

/// A customer account at a premise, with what disconnect eligibility needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Its id.
    pub id: Uuid,
    /// The utility it belongs to.
    pub utility_id: UtilityId,
    /// The account number customers quote, unique within the utility.
    pub number: String,
    /// The premise served.
    pub premise_id: Uuid,
    /// Customer of record.
    pub customer_name: String,
    /// Billing status.
    pub status: AccountStatus,
    /// Balance owed, in cents.
    pub balance_cents: i64,
    /// Past-due part of the balance, in cents.
    pub past_due_cents: i64,
    /// When a disconnect notice was last served.
    pub notice_served_at: Option<DateTime<Utc>>,
    /// A medical certificate is on file.
    pub medical_hold: bool,
    /// Life-support equipment is registered at the premise.
    pub life_support: bool,
    /// The customer is on a payment plan.
    pub payment_plan: bool,
    /// When billing last refreshed these facts.
    pub as_of: DateTime<Utc>,
}

/// One register of a meter, with the billing system's expectations for its next read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterRegister {
    /// 1-based register number on the meter.
    pub number: u32,
    /// Dials left of the decimal point.
    pub dials_left: u32,
    /// Dials right of the decimal point.
    pub dials_right: u32,
    /// Billed quantity = consumption × multiplier.
    pub multiplier: u32,
    /// Unit (`CCF`, `kgal`, `m3`).
    pub unit: String,
    /// Last actual reading as the register showed it (`04821.5`).
    pub last_read: Option<String>,
    /// When the last actual reading was taken.
    pub last_read_at: Option<DateTime<Utc>>,
    /// Lowest expected next reading, register units.
    pub low_limit: Option<f64>,
    /// Highest expected next reading, register units.
    pub high_limit: Option<f64>,
}

/// A meter and its registers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meter {
    /// Its id.
    pub id: Uuid,
    /// The utility it belongs to.
    pub utility_id: UtilityId,
    /// Serial / badge number, unique within the utility.
    pub serial: String,
    /// Where it is installed; `None` in stock.
    pub premise_id: Option<Uuid>,
    /// Size (`5/8"`, `1"`).
    pub size: String,
    /// Where the meter is at the premise (`curb box front`).
    pub location_code: Option<String>,
    /// `active`, `removed`, `in_stock`.
    pub status: String,
    /// When it was installed.
    pub installed_at: Option<DateTime<Utc>>,
    /// Its registers, by number.
    pub registers: Vec<MeterRegister>,
}

/// How a historical read was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadKind {
    /// Somebody (or an endpoint) read the register.
    Actual,
    /// Billing estimated it.
    Estimated,
}

impl ReadKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadKind::Actual => "actual",
            ReadKind::Estimated => "estimated",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ReadKind> {
        match s {
            "actual" => Some(ReadKind::Actual),
            "estimated" => Some(ReadKind::Estimated),
            _ => None,
        }
    }
}

/// A meter exchange as the crew recorded it, for the meter records: the old meter comes out
/// with its final reads, the new one goes in at the premise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterExchange {
    /// The meter taken out.
    pub old_meter: Uuid,
    /// Its final read of each register (actual reads, at the exchange).
    pub final_reads: Vec<MeterRead>,
    /// The meter put in, as installed: its premise, status `active`, when, and its registers
    /// with the initial reads as their last reads. Its id is used only when no meter of the
    /// utility has its serial yet.
    pub new_meter: Meter,
}

/// An office-accepted correction of a meter record: the record as the office read it and as it
/// is to be. Stored only if the record still reads `before`, so a correction decided against a
/// record someone changed meanwhile is refused, never laid over the newer values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterCorrection {
    /// The meter record as read when the correction was decided.
    pub before: Meter,
    /// The record as corrected: serial, size, location and registers (by number; registers
    /// beyond its last are removed, new numbers are added without reads).
    pub after: Meter,
    /// A correction of the access notes of the meter's premise, if any.
    pub access_notes: Option<AccessNotesCorrection>,
}

/// Access notes of a premise, as read and as corrected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessNotesCorrection {
    /// The premise.
    pub premise_id: Uuid,
    /// The notes as read.
    pub before: Option<String>,
    /// The notes as corrected.
    pub after: String,
}

/// One historical read of one register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterRead {
    /// The meter.
    pub meter_id: Uuid,
    /// The register number.
    pub register: u32,
    /// The value as the register showed it, exact decimal text (`04821.5`).
    pub value: String,
    /// When it was read.
    pub read_at: DateTime<Utc>,
    /// Actual or estimated.
    pub kind: ReadKind,
}

/// A readers' route: a book of meters read on one day, in walk order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// Its id.
    pub id: Uuid,
    /// The utility it belongs to.
    pub utility_id: UtilityId,
    /// Short code, unique within the utility (`C03-B12`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Billing cycle.
    pub cycle: Option<String>,
    /// Billing book.
    pub book: Option<String>,
    /// The day it is scheduled to be read.
    pub scheduled_day: Option<NaiveDate>,
    /// The user who normally walks it.
    pub default_assignee: Option<Uuid>,
}
