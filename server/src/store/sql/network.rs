//! Queries for premises, accounts, meters with their registers, read history and routes.
//! Bulk inserts run in one transaction with multi-row `INSERT`s of [`CHUNK`] rows.

use super::rows::{
    DbRow, json, like_escape, millis, opt_millis, opt_time, small, time, to_json, wire,
};
use super::{Conn, Db};
use crate::store::{
    Account, Meter, MeterCorrection, MeterExchange, MeterRead, MeterRegister, Page, PageRequest,
    Premise, ReadKind, Route, StoreError, StoreResult, UtilityId,
};
use chrono::{DateTime, NaiveDate, Utc};
use fieldline_core::model::AccountStatus;
use sqlx::{AssertSqlSafe, Pool, QueryBuilder, Row};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows per multi-row `INSERT`: well under SQLite's and PostgreSQL's bind-parameter limits
/// for the widest table (13 columns).
const CHUNK: usize = 500;

const PREMISE_COLS: &str =
    "utility_id, id, address, city, lat, lon, access_notes, hazards, service_area, book";
pub(super) const ACCOUNT_COLS: &str = "utility_id, id, number, premise_id, customer_name, status, \
     balance_cents, past_due_cents, notice_served_at, medical_hold, life_support, payment_plan, \
     as_of";
const METER_COLS: &str =
    "utility_id, id, serial, premise_id, size, location_code, status, installed_at";
const REGISTER_COLS: &str = "utility_id, meter_id, number, dials_left, dials_right, multiplier, \
     unit, last_read, last_read_at, low_limit, high_limit";
const READ_COLS: &str = "utility_id, meter_id, register, read_at, value, kind";
const ROUTE_COLS: &str = "utility_id, id, code, name, cycle, book, scheduled_day, default_assignee";

/// Refuses rows that name another utility than the one the call acts for.
fn same_utility(utility: UtilityId, row_utility: UtilityId, what: &str) -> StoreResult<()> {
    if row_utility == utility {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "{what} belongs to another utility"
        )))
    }
}

fn premise(row: &DbRow) -> StoreResult<Premise> {
    Ok(Premise {
        id: row.try_get("id")?,
        utility_id: UtilityId(row.try_get("utility_id")?),
        address: row.try_get("address")?,
        city: row.try_get("city")?,
        lat: row.try_get("lat")?,
        lon: row.try_get("lon")?,
        access_notes: row.try_get("access_notes")?,
        hazards: json(row, "hazards")?,
        service_area: row.try_get("service_area")?,
        book: row.try_get("book")?,
    })
}

pub(super) fn account(row: &DbRow) -> StoreResult<Account> {
    Ok(Account {
        id: row.try_get("id")?,
        utility_id: UtilityId(row.try_get("utility_id")?),
        number: row.try_get("number")?,
        premise_id: row.try_get("premise_id")?,
        customer_name: row.try_get("customer_name")?,
        status: wire(row, "status", AccountStatus::parse)?,
        balance_cents: row.try_get("balance_cents")?,
        past_due_cents: row.try_get("past_due_cents")?,
        notice_served_at: opt_time(row, "notice_served_at")?,
        medical_hold: row.try_get("medical_hold")?,
        life_support: row.try_get("life_support")?,
        payment_plan: row.try_get("payment_plan")?,
        as_of: time(row, "as_of")?,
    })
}

fn meter(row: &DbRow) -> StoreResult<Meter> {
    Ok(Meter {
        id: row.try_get("id")?,
        utility_id: UtilityId(row.try_get("utility_id")?),
        serial: row.try_get("serial")?,
        premise_id: row.try_get("premise_id")?,
        size: row.try_get("size")?,
        location_code: row.try_get("location_code")?,
        status: row.try_get("status")?,
        installed_at: opt_time(row, "installed_at")?,
        registers: Vec::new(),
    })
}

fn register(row: &DbRow) -> StoreResult<(Uuid, MeterRegister)> {
    Ok((
        row.try_get("meter_id")?,
        MeterRegister {
            number: small(row, "number")?,
            dials_left: small(row, "dials_left")?,
            dials_right: small(row, "dials_right")?,
            multiplier: small(row, "multiplier")?,
            unit: row.try_get("unit")?,
            last_read: row.try_get("last_read")?,
            last_read_at: opt_time(row, "last_read_at")?,
            low_limit: row.try_get("low_limit")?,
            high_limit: row.try_get("high_limit")?,
        },
    ))
}

fn meter_read(row: &DbRow) -> StoreResult<MeterRead> {
    Ok(MeterRead {
        meter_id: row.try_get("meter_id")?,
        register: small(row, "register")?,
        value: row.try_get("value")?,
        read_at: time(row, "read_at")?,
        kind: wire(row, "kind", ReadKind::parse)?,
    })
}

fn route(row: &DbRow) -> StoreResult<Route> {
    let day: Option<String> = row.try_get("scheduled_day")?;
    let scheduled_day = day
        .map(|d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map_err(|e| StoreError::Invalid(format!("scheduled_day {d:?}: {e}")))
        })
        .transpose()?;
    Ok(Route {
        id: row.try_get("id")?,
        utility_id: UtilityId(row.try_get("utility_id")?),
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        cycle: row.try_get("cycle")?,
        book: row.try_get("book")?,
        scheduled_day,
        default_assignee: row.try_get("default_assignee")?,
    })
}

/// Fetches one row by `utility_id` and one more column, or `NotFound`.
async fn one<T, F, V>(
    pool: &Pool<Db>,
    table: &str,
    cols: &str,
    key_col: &str,
    utility: UtilityId,
    key: V,
    decode: F,
) -> StoreResult<T>
where
    F: Fn(&DbRow) -> StoreResult<T>,
    V: for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + Send,
{
    let sql = format!("SELECT {cols} FROM {table} WHERE utility_id = $1 AND {key_col} = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(key)
        .fetch_optional(pool)
        .await?;
    decode(&row.ok_or(StoreError::NotFound)?)
}

pub(super) async fn insert_premises(
    conn: &mut Conn,
    utility: UtilityId,
    rows: &[Premise],
) -> StoreResult<()> {
    let mut hazards = Vec::with_capacity(rows.len());
    for p in rows {
        same_utility(utility, p.utility_id, "premise")?;
        hazards.push(to_json(&p.hazards, "hazards")?);
    }
    for (chunk, hazards) in rows.chunks(CHUNK).zip(hazards.chunks(CHUNK)) {
        let mut q = QueryBuilder::<Db>::new(format!("INSERT INTO premises ({PREMISE_COLS}) "));
        q.push_values(chunk.iter().zip(hazards), |mut b, (p, h)| {
            b.push_bind(utility.0)
                .push_bind(p.id)
                .push_bind(p.address.as_str())
                .push_bind(p.city.as_str())
                .push_bind(p.lat)
                .push_bind(p.lon)
                .push_bind(p.access_notes.as_deref())
                .push_bind(h.as_str())
                .push_bind(p.service_area.as_deref())
                .push_bind(p.book.as_deref());
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "premise"))?;
    }
    Ok(())
}

pub(super) async fn get_premise(
    pool: &Pool<Db>,
    utility: UtilityId,
    id: Uuid,
) -> StoreResult<Premise> {
    one(pool, "premises", PREMISE_COLS, "id", utility, id, premise).await
}

pub(super) async fn search_premises(
    pool: &Pool<Db>,
    utility: UtilityId,
    query: Option<&str>,
    page: PageRequest,
) -> StoreResult<Page<Premise>> {
    let pattern = format!(
        "%{}%",
        like_escape(&query.unwrap_or("").trim().to_lowercase())
    );
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM premises WHERE utility_id = $1 \
         AND LOWER(address) LIKE $2 ESCAPE '\\'",
    )
    .bind(utility.0)
    .bind(&pattern)
    .fetch_one(pool)
    .await?;
    let sql = format!(
        "SELECT {PREMISE_COLS} FROM premises WHERE utility_id = $1 \
         AND LOWER(address) LIKE $2 ESCAPE '\\' ORDER BY address, id LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(&pattern)
        .bind(page.capped_limit())
        .bind(i64::from(page.offset))
        .fetch_all(pool)
        .await?;
    Ok(Page {
        items: rows.iter().map(premise).collect::<StoreResult<_>>()?,
        total,
    })
}

pub(super) async fn insert_accounts(
    conn: &mut Conn,
    utility: UtilityId,
    rows: &[Account],
) -> StoreResult<()> {
    for a in rows {
        same_utility(utility, a.utility_id, "account")?;
    }
    for chunk in rows.chunks(CHUNK) {
        let mut q = QueryBuilder::<Db>::new(format!("INSERT INTO accounts ({ACCOUNT_COLS}) "));
        q.push_values(chunk, |mut b, a| {
            b.push_bind(utility.0)
                .push_bind(a.id)
                .push_bind(a.number.as_str())
                .push_bind(a.premise_id)
                .push_bind(a.customer_name.as_str())
                .push_bind(a.status.as_str())
                .push_bind(a.balance_cents)
                .push_bind(a.past_due_cents)
                .push_bind(opt_millis(a.notice_served_at))
                .push_bind(a.medical_hold)
                .push_bind(a.life_support)
                .push_bind(a.payment_plan)
                .push_bind(millis(a.as_of));
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "account"))?;
    }
    Ok(())
}

pub(super) async fn get_account(
    pool: &Pool<Db>,
    utility: UtilityId,
    id: Uuid,
) -> StoreResult<Account> {
    one(pool, "accounts", ACCOUNT_COLS, "id", utility, id, account).await
}

pub(super) async fn record_notice_served(
    conn: &mut Conn,
    utility: UtilityId,
    id: Uuid,
    served_at: DateTime<Utc>,
) -> StoreResult<Account> {
    // One statement: never moves the time back, and leaves the balance a concurrent payment
    // may be changing alone.
    sqlx::query(
        "UPDATE accounts SET notice_served_at = $1 WHERE utility_id = $2 AND id = $3 \
         AND (notice_served_at IS NULL OR notice_served_at < $1)",
    )
    .bind(millis(served_at))
    .bind(utility.0)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE utility_id = $1 AND id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    account(&row)
}

pub(super) async fn accounts_for_premise(
    pool: &Pool<Db>,
    utility: UtilityId,
    premise: Uuid,
) -> StoreResult<Vec<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLS} FROM accounts WHERE utility_id = $1 AND premise_id = $2 \
         ORDER BY as_of DESC, number"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(premise)
        .fetch_all(pool)
        .await?;
    rows.iter().map(account).collect()
}

pub(super) async fn insert_meters(
    conn: &mut Conn,
    utility: UtilityId,
    rows: &[Meter],
) -> StoreResult<()> {
    for m in rows {
        same_utility(utility, m.utility_id, "meter")?;
        if m.registers.is_empty() {
            return Err(StoreError::Invalid(format!(
                "meter {} has no register",
                m.serial
            )));
        }
    }
    for chunk in rows.chunks(CHUNK) {
        let mut q = QueryBuilder::<Db>::new(format!("INSERT INTO meters ({METER_COLS}) "));
        q.push_values(chunk, |mut b, m| {
            b.push_bind(utility.0)
                .push_bind(m.id)
                .push_bind(m.serial.as_str())
                .push_bind(m.premise_id)
                .push_bind(m.size.as_str())
                .push_bind(m.location_code.as_deref())
                .push_bind(m.status.as_str())
                .push_bind(opt_millis(m.installed_at));
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "meter"))?;
    }
    insert_registers(conn, utility, rows).await
}

/// Inserts the registers of `rows` (meters already stored).
async fn insert_registers(conn: &mut Conn, utility: UtilityId, rows: &[Meter]) -> StoreResult<()> {
    let registers: Vec<(Uuid, &MeterRegister)> = rows
        .iter()
        .flat_map(|m| m.registers.iter().map(move |r| (m.id, r)))
        .collect();
    for chunk in registers.chunks(CHUNK) {
        let mut q =
            QueryBuilder::<Db>::new(format!("INSERT INTO meter_registers ({REGISTER_COLS}) "));
        q.push_values(chunk, |mut b, (meter_id, r)| {
            b.push_bind(utility.0)
                .push_bind(*meter_id)
                .push_bind(i64::from(r.number))
                .push_bind(i64::from(r.dials_left))
                .push_bind(i64::from(r.dials_right))
                .push_bind(i64::from(r.multiplier))
                .push_bind(r.unit.as_str())
                .push_bind(r.last_read.as_deref())
                .push_bind(opt_millis(r.last_read_at))
                .push_bind(r.low_limit)
                .push_bind(r.high_limit);
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "meter register"))?;
    }
    Ok(())
}

pub(super) async fn record_meter_exchange(
    conn: &mut Conn,
    utility: UtilityId,
    exchange: &MeterExchange,
) -> StoreResult<Uuid> {
    let new = &exchange.new_meter;
    same_utility(utility, new.utility_id, "meter")?;
    let Some(premise) = new.premise_id else {
        return Err(StoreError::Invalid(format!(
            "meter {} is installed nowhere",
            new.serial
        )));
    };
    let by_id = format!("SELECT {METER_COLS} FROM meters WHERE utility_id = $1 AND id = $2");
    let old = sqlx::query(AssertSqlSafe(by_id))
        .bind(utility.0)
        .bind(exchange.old_meter)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let old = meter(&old)?;

    // The new meter first: refusing it leaves the old one in place.
    let by_serial =
        format!("SELECT {METER_COLS} FROM meters WHERE utility_id = $1 AND serial = $2");
    let existing = sqlx::query(AssertSqlSafe(by_serial))
        .bind(utility.0)
        .bind(new.serial.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| meter(&row))
        .transpose()?;
    let installed = match existing {
        Some(m) if m.premise_id == Some(premise) => m.id,
        Some(m) if m.premise_id.is_some() => {
            return Err(StoreError::Conflict(format!(
                "meter {} is installed at another premise",
                m.serial
            )));
        }
        Some(m) => {
            sqlx::query(
                "UPDATE meters SET premise_id = $1, size = $2, location_code = $3, \
                 status = $4, installed_at = $5 WHERE utility_id = $6 AND id = $7",
            )
            .bind(premise)
            .bind(new.size.as_str())
            .bind(new.location_code.as_deref())
            .bind(new.status.as_str())
            .bind(opt_millis(new.installed_at))
            .bind(utility.0)
            .bind(m.id)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM meter_registers WHERE utility_id = $1 AND meter_id = $2")
                .bind(utility.0)
                .bind(m.id)
                .execute(&mut *conn)
                .await?;
            let moved = Meter {
                id: m.id,
                ..new.clone()
            };
            insert_registers(conn, utility, std::slice::from_ref(&moved)).await?;
            m.id
        }
        None => {
            insert_meters(conn, utility, std::slice::from_ref(new)).await?;
            new.id
        }
    };

    if old.status != "removed" || old.premise_id.is_some() {
        sqlx::query(
            "UPDATE meters SET status = 'removed', premise_id = NULL \
             WHERE utility_id = $1 AND id = $2",
        )
        .bind(utility.0)
        .bind(old.id)
        .execute(&mut *conn)
        .await?;
        for read in &exchange.final_reads {
            if read.meter_id != old.id {
                return Err(StoreError::Invalid(
                    "a final read names another meter".into(),
                ));
            }
            sqlx::query(
                "UPDATE meter_registers SET last_read = $1, last_read_at = $2 \
                 WHERE utility_id = $3 AND meter_id = $4 AND number = $5",
            )
            .bind(read.value.as_str())
            .bind(millis(read.read_at))
            .bind(utility.0)
            .bind(old.id)
            .bind(i64::from(read.register))
            .execute(&mut *conn)
            .await?;
        }
        insert_meter_reads(conn, utility, &exchange.final_reads).await?;
    }
    Ok(installed)
}

pub(super) async fn correct_meter(
    conn: &mut Conn,
    utility: UtilityId,
    correction: &MeterCorrection,
) -> StoreResult<()> {
    let (before, after) = (&correction.before, &correction.after);
    if after.id != before.id {
        return Err(StoreError::Invalid(
            "a correction names two different meters".into(),
        ));
    }
    same_utility(utility, after.utility_id, "meter")?;
    // A no-op write first takes the row's lock (PostgreSQL), so nobody changes the record
    // between the comparison below and the update.
    let locked = sqlx::query("UPDATE meters SET serial = serial WHERE utility_id = $1 AND id = $2")
        .bind(utility.0)
        .bind(before.id)
        .execute(&mut *conn)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let by_id = format!("SELECT {METER_COLS} FROM meters WHERE utility_id = $1 AND id = $2");
    let row = sqlx::query(AssertSqlSafe(by_id))
        .bind(utility.0)
        .bind(before.id)
        .fetch_one(&mut *conn)
        .await?;
    let mut current = meter(&row)?;
    let registers = format!(
        "SELECT {REGISTER_COLS} FROM meter_registers WHERE utility_id = $1 AND meter_id = $2 \
         ORDER BY number"
    );
    for row in sqlx::query(AssertSqlSafe(registers))
        .bind(utility.0)
        .bind(before.id)
        .fetch_all(&mut *conn)
        .await?
    {
        current.registers.push(register(&row)?.1);
    }
    if let Some(field) = changed_since(before, &current) {
        return Err(StoreError::Conflict(format!(
            "the meter record's {field} changed since the correction was decided"
        )));
    }

    if after.serial != current.serial {
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT serial FROM meters WHERE utility_id = $1 AND serial = $2 AND id <> $3",
        )
        .bind(utility.0)
        .bind(after.serial.as_str())
        .bind(before.id)
        .fetch_optional(&mut *conn)
        .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "serial {} is already another meter's",
                after.serial
            )));
        }
    }
    sqlx::query(
        "UPDATE meters SET serial = $1, size = $2, location_code = $3 \
         WHERE utility_id = $4 AND id = $5",
    )
    .bind(after.serial.as_str())
    .bind(after.size.as_str())
    .bind(after.location_code.as_deref())
    .bind(utility.0)
    .bind(before.id)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::classify(e, "a meter with that serial"))?;

    let last = after.registers.len();
    sqlx::query(
        "DELETE FROM meter_registers WHERE utility_id = $1 AND meter_id = $2 AND number > $3",
    )
    .bind(utility.0)
    .bind(before.id)
    .bind(i64::try_from(last).unwrap_or(i64::MAX))
    .execute(&mut *conn)
    .await?;
    let mut added = Vec::new();
    for (i, r) in after.registers.iter().enumerate() {
        if usize::try_from(r.number).ok() != Some(i + 1) {
            return Err(StoreError::Invalid(
                "corrected registers must be numbered 1, 2, 3... in order".into(),
            ));
        }
        if current.registers.iter().any(|c| c.number == r.number) {
            sqlx::query(
                "UPDATE meter_registers SET dials_left = $1, dials_right = $2, multiplier = $3 \
                 WHERE utility_id = $4 AND meter_id = $5 AND number = $6",
            )
            .bind(i64::from(r.dials_left))
            .bind(i64::from(r.dials_right))
            .bind(i64::from(r.multiplier))
            .bind(utility.0)
            .bind(before.id)
            .bind(i64::from(r.number))
            .execute(&mut *conn)
            .await?;
        } else {
            added.push(r.clone());
        }
    }
    if !added.is_empty() {
        let with_new = Meter {
            registers: added,
            ..current.clone()
        };
        insert_registers(conn, utility, std::slice::from_ref(&with_new)).await?;
    }

    if let Some(notes) = &correction.access_notes {
        let on_record: Option<Option<String>> = sqlx::query_scalar(
            "SELECT access_notes FROM premises WHERE utility_id = $1 AND id = $2",
        )
        .bind(utility.0)
        .bind(notes.premise_id)
        .fetch_optional(&mut *conn)
        .await?;
        let on_record = on_record.ok_or(StoreError::NotFound)?;
        if on_record != notes.before {
            return Err(StoreError::Conflict(
                "the premise's access notes changed since the correction was decided".into(),
            ));
        }
        sqlx::query("UPDATE premises SET access_notes = $1 WHERE utility_id = $2 AND id = $3")
            .bind(notes.after.as_str())
            .bind(utility.0)
            .bind(notes.premise_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The first field of the meter record that differs between `read` and `now`, in the field
/// names a correction uses.
fn changed_since(read: &Meter, now: &Meter) -> Option<&'static str> {
    if read.serial != now.serial {
        return Some("serial");
    }
    if read.size != now.size {
        return Some("size");
    }
    if read.location_code != now.location_code {
        return Some("location");
    }
    if read.registers.len() != now.registers.len() {
        return Some("register_count");
    }
    for (r, n) in read.registers.iter().zip(&now.registers) {
        if r.dials_left != n.dials_left {
            return Some("dials_left");
        }
        if r.dials_right != n.dials_right {
            return Some("dials_right");
        }
        if r.multiplier != n.multiplier {
            return Some("multiplier");
        }
    }
    None
}

/// Fills in the registers of `meters` (all of one utility).
async fn with_registers(
    pool: &Pool<Db>,
    utility: UtilityId,
    mut meters: Vec<Meter>,
) -> StoreResult<Vec<Meter>> {
    if meters.is_empty() {
        return Ok(meters);
    }
    let mut q = QueryBuilder::<Db>::new(format!(
        "SELECT {REGISTER_COLS} FROM meter_registers WHERE utility_id = "
    ));
    q.push_bind(utility.0).push(" AND meter_id IN (");
    let mut ids = q.separated(", ");
    for m in &meters {
        ids.push_bind(m.id);
    }
    q.push(") ORDER BY meter_id, number");
    let rows = q.build().fetch_all(pool).await?;
    let mut by_meter: HashMap<Uuid, Vec<MeterRegister>> = HashMap::new();
    for row in &rows {
        let (meter_id, reg) = register(row)?;
        by_meter.entry(meter_id).or_default().push(reg);
    }
    for m in &mut meters {
        m.registers = by_meter.remove(&m.id).unwrap_or_default();
    }
    Ok(meters)
}

pub(super) async fn get_meter(pool: &Pool<Db>, utility: UtilityId, id: Uuid) -> StoreResult<Meter> {
    let m = one(pool, "meters", METER_COLS, "id", utility, id, meter).await?;
    let mut all = with_registers(pool, utility, vec![m]).await?;
    all.pop().ok_or(StoreError::NotFound)
}

pub(super) async fn get_meter_by_serial(
    pool: &Pool<Db>,
    utility: UtilityId,
    serial: &str,
) -> StoreResult<Meter> {
    let m = one(
        pool,
        "meters",
        METER_COLS,
        "serial",
        utility,
        serial.to_string(),
        meter,
    )
    .await?;
    let mut all = with_registers(pool, utility, vec![m]).await?;
    all.pop().ok_or(StoreError::NotFound)
}

pub(super) async fn search_meters(
    pool: &Pool<Db>,
    utility: UtilityId,
    serial_prefix: Option<&str>,
    page: PageRequest,
) -> StoreResult<Page<Meter>> {
    let pattern = format!("{}%", like_escape(serial_prefix.unwrap_or("").trim()));
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM meters WHERE utility_id = $1 AND serial LIKE $2 ESCAPE '\\'",
    )
    .bind(utility.0)
    .bind(&pattern)
    .fetch_one(pool)
    .await?;
    let sql = format!(
        "SELECT {METER_COLS} FROM meters WHERE utility_id = $1 AND serial LIKE $2 ESCAPE '\\' \
         ORDER BY serial LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(&pattern)
        .bind(page.capped_limit())
        .bind(i64::from(page.offset))
        .fetch_all(pool)
        .await?;
    let meters = rows.iter().map(meter).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page {
        items: with_registers(pool, utility, meters).await?,
        total,
    })
}

pub(super) async fn meters_for_premise(
    pool: &Pool<Db>,
    utility: UtilityId,
    premise: Uuid,
) -> StoreResult<Vec<Meter>> {
    let sql = format!(
        "SELECT {METER_COLS} FROM meters WHERE utility_id = $1 AND premise_id = $2 ORDER BY serial"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(premise)
        .fetch_all(pool)
        .await?;
    let meters = rows.iter().map(meter).collect::<StoreResult<Vec<_>>>()?;
    with_registers(pool, utility, meters).await
}

pub(super) async fn insert_meter_reads(
    conn: &mut Conn,
    utility: UtilityId,
    rows: &[MeterRead],
) -> StoreResult<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut q = QueryBuilder::<Db>::new(format!("INSERT INTO meter_reads ({READ_COLS}) "));
        q.push_values(chunk, |mut b, r| {
            b.push_bind(utility.0)
                .push_bind(r.meter_id)
                .push_bind(i64::from(r.register))
                .push_bind(millis(r.read_at))
                .push_bind(r.value.as_str())
                .push_bind(r.kind.as_str());
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "meter read"))?;
    }
    Ok(())
}

pub(super) async fn meter_reads(
    pool: &Pool<Db>,
    utility: UtilityId,
    meter_id: Uuid,
) -> StoreResult<Vec<MeterRead>> {
    let sql = format!(
        "SELECT {READ_COLS} FROM meter_reads WHERE utility_id = $1 AND meter_id = $2 \
         ORDER BY register, read_at"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(meter_id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(meter_read).collect()
}

pub(super) async fn insert_routes(
    conn: &mut Conn,
    utility: UtilityId,
    rows: &[Route],
) -> StoreResult<()> {
    for r in rows {
        same_utility(utility, r.utility_id, "route")?;
    }
    for chunk in rows.chunks(CHUNK) {
        let mut q = QueryBuilder::<Db>::new(format!("INSERT INTO routes ({ROUTE_COLS}) "));
        q.push_values(chunk, |mut b, r| {
            b.push_bind(utility.0)
                .push_bind(r.id)
                .push_bind(r.code.as_str())
                .push_bind(r.name.as_str())
                .push_bind(r.cycle.as_deref())
                .push_bind(r.book.as_deref())
                .push_bind(r.scheduled_day.map(|d| d.format("%Y-%m-%d").to_string()))
                .push_bind(r.default_assignee);
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "route"))?;
    }
    Ok(())
}

pub(super) async fn get_route(pool: &Pool<Db>, utility: UtilityId, id: Uuid) -> StoreResult<Route> {
    one(pool, "routes", ROUTE_COLS, "id", utility, id, route).await
}

pub(super) async fn get_route_by_code(
    pool: &Pool<Db>,
    utility: UtilityId,
    code: &str,
) -> StoreResult<Route> {
    one(
        pool,
        "routes",
        ROUTE_COLS,
        "code",
        utility,
        code.to_string(),
        route,
    )
    .await
}

pub(super) async fn list_routes(pool: &Pool<Db>, utility: UtilityId) -> StoreResult<Vec<Route>> {
    let sql = format!("SELECT {ROUTE_COLS} FROM routes WHERE utility_id = $1 ORDER BY code");
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .fetch_all(pool)
        .await?;
    rows.iter().map(route).collect()
}
