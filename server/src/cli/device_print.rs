//! How `fieldline device` prints: short human lines by default, JSON with `--json`.

use fieldline_core::client::{
    AccountInfo, ClientError, ClientStatus, OrderSummary, OrderView, SyncReport,
};
use fieldline_core::reference::CodeDef;
use fieldline_core::rules::Requirements;
use fieldline_core::{FieldEntry, Timestamp};
use serde::Serialize;
use std::io::Write;

/// `println!` that ignores a closed stdout (`fieldline device orders | head`) instead of
/// panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Prints `value` as one JSON document on stdout.
pub fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => say!("{text}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

/// An error as JSON: a stable kind, and the rule and field for a refusal.
pub fn error_json(err: &ClientError) -> serde_json::Value {
    let kind = match err {
        ClientError::Network(_) => "network",
        ClientError::Unauthorized(_) => "unauthorized",
        ClientError::UpdateRequired(_) => "update_required",
        ClientError::Refused(_) => "refused",
        ClientError::NotFound(_) => "not_found",
        ClientError::Storage(_) => "storage",
        ClientError::Protocol(_) => "protocol",
        ClientError::Other(_) => "other",
    };
    match err {
        ClientError::Refused(refusal) => serde_json::json!({"error": {
            "kind": kind, "rule": refusal.rule, "field": refusal.field,
            "message": refusal.message, "needs": refusal.needs}}),
        other => serde_json::json!({"error": {"kind": kind, "message": other.to_string()}}),
    }
}

fn time(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| at.0.to_string())
}

/// After sign-in.
pub fn account(account: &AccountInfo) {
    say!(
        "signed in as {} ({}, {}) at {}; device {}",
        account.username,
        account.role,
        account.utility,
        account.server_url,
        account.device_id
    );
}

/// After a sync.
pub fn sync_report(report: &SyncReport) {
    say!(
        "synced in {} round trip(s): uploaded {} change(s), {} new order(s), {} change(s) received, cursor {} ({} bytes out, {} in)",
        report.round_trips,
        report.uploaded_changes,
        report.new_orders,
        report.received_changes,
        report.cursor,
        report.bytes_sent,
        report.bytes_received
    );
    if !report.revoked.is_empty() {
        say!("taken from you: {}", report.revoked.join(", "));
    }
    if !report.dropped.is_empty() {
        say!("removed from this device: {}", report.dropped.join(", "));
    }
    if report.rejected > 0 {
        say!(
            "the server rejected {} change set(s): see `status`",
            report.rejected
        );
    }
    if report.incomplete {
        say!("more is waiting: sync again");
    }
}

/// The route.
pub fn orders(orders: &[OrderSummary]) {
    if orders.is_empty() {
        say!("no orders on this device (sync to receive your route)");
    }
    for order in orders {
        let mut line = format!(
            "{:>3}  {}  {}  {}  {}",
            order.position,
            order.order_id,
            order.order_type,
            order.status,
            order.address.as_deref().unwrap_or("-")
        );
        if let Some(due) = order.due_at {
            line.push_str(&format!("  due {}", time(due)));
        }
        if order.pending_changes > 0 {
            line.push_str(&format!("  [{} unsynced]", order.pending_changes));
        }
        if !order.exceptions.is_empty() {
            line.push_str(&format!("  !{}", order.exceptions.join(",")));
        }
        say!("{line}");
    }
}

/// One order.
pub fn order(view: &OrderView) {
    let office = &view.office;
    say!(
        "order {}  {}  {}",
        view.order_id,
        office.order_type,
        view.status
    );
    if let Some(premise) = &office.premise {
        say!("  at {}", premise.address);
        if let Some(notes) = &premise.access_notes {
            say!("  access: {notes}");
        }
        for hazard in &premise.hazards {
            say!("  hazard ({}): {}", hazard.level, hazard.description);
        }
    }
    if let Some(assignee) = &view.assignee {
        say!("  assigned to {assignee}");
    }
    if let Some(due) = office.due_at {
        say!("  due {}", time(due));
    }
    if let Some(text) = &office.instructions {
        say!("  instructions: {text}");
    }
    if let Some(meter) = &office.meter {
        say!("  meter {} ({})", meter.serial, meter.size);
    }
    for register in &view.registers {
        let limits = register
            .limits
            .map(|(low, high)| format!(", expected {low}..{high}"))
            .unwrap_or_default();
        let decimals = if register.dials_right > 0 {
            format!(" + {} decimal", register.dials_right)
        } else {
            String::new()
        };
        say!(
            "  register {}: {} dials{decimals}, {}{limits}",
            register.number,
            register.dials_left,
            register.unit
        );
    }
    for entry in &view.office_log {
        say!(
            "  office {} by {} at {}",
            entry.action.name(),
            entry.by,
            time(entry.at)
        );
    }
    for entry in &view.field {
        say!(
            "  field {} at {}{}",
            entry.action.name(),
            time(entry.context.device_time),
            outcome(entry)
        );
    }
    for exception in &view.exceptions {
        say!("  exception {}", exception.code);
    }
    if view.pending_changes > 0 {
        say!("  {} change(s) not yet synced", view.pending_changes);
    }
    if view.revoked {
        say!("  taken from you: leaves this device after the next sync");
    }
}

/// What the order's type asks for: its steps (with the JSON shape of each) and its codes.
pub fn requirements(needs: &Requirements) {
    let codes = |list: &[CodeDef]| {
        list.iter()
            .map(|c| c.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    say!("  steps of a {}:", needs.order_type);
    for step in &needs.steps {
        say!("    {}: {}", step.step, step.shape);
        for list in &step.codes {
            say!("      {}: {}", list.field, codes(&list.codes));
        }
    }
    say!("  completion codes: {}", codes(&needs.completion_codes));
    say!("  not-done reasons: {}", codes(&needs.not_done_reasons));
}

fn outcome(entry: &FieldEntry) -> String {
    let mut parts: Vec<String> = entry
        .assessment
        .readings
        .iter()
        .map(|r| {
            format!(
                "register {} = {} ({})",
                r.register,
                r.value,
                r.validation.as_str()
            )
        })
        .collect();
    parts.extend(
        entry
            .assessment
            .flags
            .iter()
            .map(|f| format!("flag {}", f.code)),
    );
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join("; "))
    }
}

/// After an action.
pub fn entry(order_id: &str, entry: &FieldEntry) {
    say!(
        "recorded {} on {}{}",
        entry.action.name(),
        order_id,
        outcome(entry)
    );
}

/// Where the device stands.
pub fn status(status: &ClientStatus) {
    match &status.account {
        Some(account) => say!(
            "{} ({}) at {}, device {}",
            account.username,
            account.role,
            account.server_url,
            account.device_id
        ),
        None => say!("nobody has signed in on this device"),
    }
    if status.account.is_some() && status.sign_in_needed {
        say!("sign in again to sync (work on this device is kept)");
    }
    say!(
        "{} order(s); {} change(s) in {} order(s) not yet synced; {} action(s) logged",
        status.orders,
        status.pending_changes,
        status.pending_orders,
        status.actions_logged
    );
    match status.last_sync_at {
        Some(at) => say!(
            "last sync {} (cursor {})",
            time(at),
            status.cursor.map_or("-".to_string(), |c| c.to_string())
        ),
        None => say!("never synced"),
    }
    if let Some(error) = &status.last_error {
        say!("last sync failed: {error}");
    }
    for rejection in &status.rejections {
        say!(
            "rejected on {}: {} ({})",
            rejection.order_id,
            rejection.message,
            rejection.code
        );
    }
    if !status.waiting_users.is_empty() {
        say!(
            "unsynced work waiting for: {}",
            status.waiting_users.join(", ")
        );
    }
}

/// One event of `device watch`: a line on stdout per sync (JSON lines with `--json`), the
/// channel's news on stderr.
pub fn watch_event(json: bool, event: &fieldline_core::client::PushEvent) {
    use fieldline_core::client::{PushEvent, SyncCause};
    let why = |cause: &SyncCause| match cause {
        SyncCause::Poked => "poke",
        SyncCause::Connected => "connect",
    };
    match event {
        PushEvent::Synced { cause, report } if json => {
            let line = serde_json::json!({"event": "synced", "cause": cause, "report": report});
            say!("{line}");
        }
        PushEvent::Synced { cause, report } => say!(
            "{} synced after a {}: {} order(s) changed, {} new, {} change(s) received, {} uploaded, cursor {}",
            chrono::Utc::now().format("%H:%M:%S"),
            why(cause),
            report.changed_orders.len(),
            report.new_orders,
            report.received_changes,
            report.uploaded_changes,
            report.cursor
        ),
        PushEvent::SyncFailed { cause, error } => {
            eprintln!("sync after a {} failed (work is kept): {error}", why(cause));
        }
        PushEvent::Connected => eprintln!("listening for pokes"),
        PushEvent::Disconnected { error, retry_in } => {
            eprintln!(
                "not listening: {error}; trying again in {:.1} s",
                retry_in.as_secs_f64()
            );
        }
        PushEvent::Syncing { .. } | PushEvent::Stopped { .. } => {}
    }
}
