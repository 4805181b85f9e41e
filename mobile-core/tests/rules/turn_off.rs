//! Turn-off rules, passing and refusing: the final reading, valve off, seal by policy, door
//! hanger and photo before completing.

use crate::table::*;
use fieldline_core::*;

fn full_turn_off() -> Vec<FieldAction> {
    vec![
        read("1050", 1),
        valve(ValvePosition::Off, Some(DisconnectPoint::AngleValve)),
        seal_on("FL000777"),
        customer(false, false, true),
    ]
}

#[rustfmt::skip]
#[test]
fn turn_off_rules_table() {
    let without = |skip: usize| {
        let mut steps = full_turn_off();
        steps.remove(skip);
        steps
    };
    run(OrderType::TurnOff, vec![
        row("final reading", read("1050", 0), Accepted(&[])),
        row("no use while off on a turn-off", read("1050", 0), Accepted(&[])),
        row("seal with a bad format", seal_on("FL77"), Refused("seal.format", "capture.number")),
        row("complete with every step", complete(None), Accepted(&[])).after(full_turn_off()),
        row("complete without reading", complete(None), Refused("turn_off.completion", "readings")).after(without(0)),
        row("complete without valve off", complete(None), Refused("turn_off.completion", "valve")).after(without(1)),
        row("valve turned back on", complete(None), Refused("turn_off.completion", "valve"))
            .after([full_turn_off(), vec![valve(ValvePosition::On, None)]].concat()),
        row("complete without a seal", complete(None), Refused("turn_off.completion", "seal_installed")).after(without(2)),
        row("no seal needed by policy", complete(None), Accepted(&[])).after(without(2)).reference(|r| r.policy.turn_off_seal_required = false),
        row("complete without a door hanger", complete(None), Refused("turn_off.completion", "customer")).after(without(3)),
        row("complete without a photo", complete(None), Refused("turn_off.completion", "photos"))
            .after(vec![read("1050", 0), valve(ValvePosition::Off, None), seal_on("FL000777"), customer(false, false, true)]),
    ]);
}
