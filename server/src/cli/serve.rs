//! `fieldline serve`: open the configured database, build the state, bind, serve until Ctrl-C or
//! SIGTERM.

use super::admin::open_migrated;
use crate::config::Config;
use crate::http::{AppState, serve};
use crate::store::Store;
use anyhow::Context;
use std::sync::Arc;

/// Serves the configured database.
pub async fn run_serve(config: Config) -> anyhow::Result<()> {
    let store = open_migrated(&config).await?;
    serve_store(store, config, None).await
}

/// Serves `store` on the configured address, printing the URL (and `banner`, if any).
pub(crate) async fn serve_store(
    store: Arc<dyn Store>,
    config: Config,
    banner: Option<String>,
) -> anyhow::Result<()> {
    let listen = config.listen.clone();
    let state = AppState::new(store, config)
        .await
        .context("cannot prepare the server")?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    println!("Fieldline is listening on http://{addr}");
    println!("  API description: http://{addr}/api/openapi.json");
    if let Some(banner) = banner {
        println!("{banner}");
        println!(
            "Try: curl -s -X POST http://{addr}/api/v1/auth/login -H 'content-type: application/json' \
             -d '{{\"username\":\"dispatcher\",\"password\":\"demo\"}}'"
        );
    }
    serve(listener, state, shutdown_signal())
        .await
        .context("the server stopped with an error")
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
