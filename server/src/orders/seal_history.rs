//! What a new order learns from the seals crews installed before it. A reconnect or turn-on
//! must find the seal the last disconnect or turn-off at its meter put on (`seal.found`,
//! `seal.removed` compare with `details.recorded_seal`), and an order that puts seals on must
//! not reuse a number already used at its premise (`seal.unique` reads `details.used_seals`).
//! The installs table (`Store::record_installs`) knows both, so the office no longer keys them
//! by hand; a seal the office names itself still wins.

use crate::store::{EquipmentPlace, Store, StoreError, UtilityId};
use fieldline_core::OrderType;
use fieldline_core::model::OrderDetails;
use fieldline_core::rules::steps_for;
use uuid::Uuid;

/// Most seal numbers a new order lists as used at its premise (newest first): the device keeps
/// the list in the document and checks every seal against it, so it stays short; older seals
/// of a premise are still caught by the server's `seal_in_use` check after the sync.
pub const MAX_USED_SEALS: u32 = 100;

/// Order types whose seal put on at shut-off a later reconnect or turn-on must find.
const SHUT_OFFS: [OrderType; 2] = [OrderType::Disconnect, OrderType::TurnOff];

/// Fills `details` of a new `order_type` order for `meter` (if any) at `premise`:
/// `recorded_seal` of a reconnect or turn-on from the newest seal a disconnect or turn-off
/// installed on that meter (at the premise when the order has no meter), unless the office gave
/// one; `used_seals` of an order that installs seals from the newest seals installed at the
/// premise, at most [`MAX_USED_SEALS`].
pub async fn fill(
    store: &dyn Store,
    utility: UtilityId,
    order_type: OrderType,
    meter: Option<Uuid>,
    premise: Uuid,
    details: &mut OrderDetails,
) -> Result<(), StoreError> {
    if matches!(order_type, OrderType::Reconnect | OrderType::TurnOn)
        && details.recorded_seal.is_none()
    {
        let place = meter.map_or(EquipmentPlace::Premise(premise), EquipmentPlace::Meter);
        let last = store
            .seals_installed_at(utility, place, &SHUT_OFFS, 1)
            .await?;
        details.recorded_seal = last.into_iter().next().map(|seal| seal.number);
    }
    if steps_for(order_type).contains(&"seal_installed") {
        let used = store
            .seals_installed_at(
                utility,
                EquipmentPlace::Premise(premise),
                &[],
                MAX_USED_SEALS,
            )
            .await?;
        for seal in used {
            if !details.used_seals.contains(&seal.number) {
                details.used_seals.push(seal.number);
            }
        }
    }
    Ok(())
}
