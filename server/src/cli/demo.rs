//! `fieldline demo`: a fresh embedded database in the data dir filled with the demo utility
//! (replacing a previous demo's, never another database), then served like `fieldline serve`.

use super::admin::open_migrated;
use super::serve::serve_store;
use crate::auth::password::hash_password;
use crate::config::Config;
use crate::demo::{self, DEMO_PASSWORD, DEMO_USERS, SeedOptions};
use crate::orders::{self, PreparedOrder};
use crate::store::Store;
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;

/// A file `fieldline demo` leaves in its data dir: only a database next to it may be replaced.
const DEMO_MARKER: &str = "DEMO_DATABASE";

/// Replaces the demo database in the data dir with fresh demo data, then serves it.
pub async fn run_demo(mut config: Config) -> anyhow::Result<()> {
    let demo = prepare_demo(&mut config).await?;
    serve_store(demo.store, config, Some(demo.banner)).await
}

/// A freshly seeded demo database, ready to serve.
pub struct PreparedDemo {
    /// The migrated, seeded store.
    pub store: Arc<dyn Store>,
    /// What to print for the user: the demo sign-ins.
    pub banner: String,
}

/// Replaces the demo database in `config.data_dir` (embedded SQLite, whatever database URL is
/// configured) with the demo utility, its users, reference data and the day's orders.
pub async fn prepare_demo(config: &mut Config) -> anyhow::Result<PreparedDemo> {
    if config.database_url.take().is_some() {
        tracing::info!("demo ignores the configured database URL: it uses embedded SQLite");
    }
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let db = config.data_dir.join("fieldline.db");
    let marker = config.data_dir.join(DEMO_MARKER);
    if db.exists() && !marker.exists() {
        anyhow::bail!(
            "{} holds a database that `fieldline demo` did not create; refusing to replace it: \
             pick another --data-dir",
            config.data_dir.display()
        );
    }
    remove_sqlite_files(&db)?;
    std::fs::write(
        &marker,
        "created by `fieldline demo`; the demo replaces this database\n",
    )
    .with_context(|| format!("cannot write {}", marker.display()))?;
    let store = open_migrated(config).await?;

    let password_hash = hash_password(DEMO_PASSWORD.to_string(), config.password_hash)
        .await
        .context("cannot hash the demo password")?;
    let seeded = demo::seed(
        store.as_ref(),
        &SeedOptions {
            slug: demo::DEMO_UTILITY_SLUG,
            name: demo::DEMO_UTILITY_NAME,
            seed: demo::DEMO_SEED,
            today: chrono::Utc::now().date_naive(),
            password_hash: &password_hash,
        },
    )
    .await
    .context("cannot store the demo data")?;
    tracing::info!(
        premises = seeded.premises,
        meters = seeded.meters,
        reads = seeded.reads,
        routes = seeded.routes.len(),
        "demo data stored"
    );
    // The day's orders become automerge documents through the order service (one transaction).
    // LEAD: swap for `crate::orders::seed_demo_orders` if you add one.
    let prepared: Vec<PreparedOrder> = seeded
        .orders
        .iter()
        .map(|o| PreparedOrder {
            id: o.id,
            office: o.office.clone(),
            assignee: o.assignee.clone(),
            route_id: o.route_id,
        })
        .collect();
    let created = orders::insert_prepared(
        store.as_ref(),
        seeded.utility.id,
        demo::ORDERS_CREATED_BY,
        &prepared,
        chrono::Utc::now(),
    )
    .await
    .context("cannot create the demo orders")?;
    tracing::info!(orders = created.len(), "demo orders created");

    let banner = demo_banner(&config.data_dir, &seeded.utility.slug);
    Ok(PreparedDemo { store, banner })
}

/// Removes a SQLite database and its WAL files, if present.
fn remove_sqlite_files(db: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let path = db.with_file_name(format!(
            "{}{suffix}",
            db.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("fieldline.db")
        ));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot remove the previous demo database {}",
                        path.display()
                    )
                });
            }
        }
    }
    Ok(())
}

fn demo_banner(data_dir: &Path, slug: &str) -> String {
    let users: Vec<String> = DEMO_USERS
        .iter()
        .map(|(name, role, _)| format!("  {name:<12} {role}"))
        .collect();
    format!(
        "Demo utility {slug:?}. Sign in with any of these users, password {DEMO_PASSWORD:?}:\n{}\n\
         Reopen this data later with: fieldline serve --data-dir {}",
        users.join("\n"),
        data_dir.display()
    )
}
