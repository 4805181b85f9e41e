//! The `fieldline` command line: parse, load the configuration, run one command. Errors reach the
//! user as one line on stderr and a non-zero exit code, never a panic.

pub mod admin;
pub mod args;
mod demo;
pub mod device;
mod device_print;
mod device_watch;
mod serve;

pub use args::{
    Cli, Command, KeysCommand, ServeArgs, UserAddArgs, UserCommand, UtilityAddArgs, UtilityCommand,
};
pub use demo::{PreparedDemo, prepare_demo};

use crate::config::Config;
use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where `fieldline demo` keeps its database when no data dir is given.
pub const DEFAULT_DEMO_DIR: &str = "./data/demo";

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    // The handheld is blocking and sets its own exit codes: no runtime, no server config.
    let cli = match cli {
        Cli {
            command: Command::Device(args),
            ..
        } => return device::main(args),
        cli => cli,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, skipping a cause its parent already quoted.
fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|prev| prev.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Logs to stderr, filtered by `FIELDLINE_LOG` or `RUST_LOG` (default `info`, with sqlx's notices at `warn`).
fn init_tracing() {
    let filter = std::env::var("FIELDLINE_LOG")
        .ok()
        .and_then(|f| tracing_subscriber::EnvFilter::try_new(f).ok())
        .or_else(|| tracing_subscriber::EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// The configuration for `cli`: file and environment, then the command's flags.
pub fn config_for(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::from_process_env(cli.config.as_deref())?;
    match &cli.command {
        Command::Demo(args) => {
            config.data_dir = cli
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DEMO_DIR));
            if let Some(listen) = &args.listen {
                config.listen = listen.clone();
            }
        }
        Command::Serve(args) => {
            if let Some(dir) = &cli.data_dir {
                config.data_dir = dir.clone();
            }
            if let Some(listen) = &args.listen {
                config.listen = listen.clone();
            }
        }
        _ => {
            if let Some(dir) = &cli.data_dir {
                config.data_dir = dir.clone();
            }
        }
    }
    Ok(config)
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = config_for(&cli)?;
    tracing::debug!(?config, "configuration");
    match cli.command {
        Command::Serve(_) => serve::run_serve(config).await,
        Command::Device(args) => device::run_async(args).await,
        Command::Demo(_) => demo::run_demo(config).await,
        Command::Migrate => {
            let store = admin::open_migrated(&config).await?;
            println!("migrations applied ({})", store.backend());
            Ok(())
        }
        Command::Utility(UtilityCommand::Add(args)) => {
            let store = admin::open_migrated(&config).await?;
            let utility = admin::add_utility(store.as_ref(), &args).await?;
            println!("created utility {} ({})", utility.slug, utility.name);
            Ok(())
        }
        Command::Keys(KeysCommand::Rotate) => {
            let store = admin::open_migrated(&config).await?;
            let key = crate::auth::keys::rotate(store.as_ref())
                .await
                .context("cannot rotate the signing key")?;
            println!(
                "new signing key {} is active; older keys are retired",
                key.kid
            );
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => {
            let password = admin::read_password(args.password_stdin, &mut std::io::stdin().lock())?;
            let store = admin::open_migrated(&config).await?;
            let user = admin::add_user(store.as_ref(), &args, password, config.password_hash)
                .await
                .context("cannot add the user")?;
            println!("created user {} ({})", user.username, user.role);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn error_chains_print_on_one_line_without_repeats() {
        #[derive(Debug, thiserror::Error)]
        #[error("database: {0}")]
        struct Wrapper(#[from] std::io::Error);
        let io = std::io::Error::other("connection refused");
        let err = anyhow::Error::new(Wrapper(io)).context("cannot open database x");
        assert_eq!(
            one_line(&err),
            "cannot open database x: database: connection refused"
        );
    }
}
