//! The `fieldline` command line as clap types: parsing only, so tests can check every flag.

use clap::{Args, Parser, Subcommand};
use fieldline_core::model::Role;
use std::path::PathBuf;

/// Fieldline: offline-first field work orders for water and sewer utilities.
#[derive(Debug, Parser)]
#[command(name = "fieldline", version, about)]
pub struct Cli {
    /// Configuration file (TOML); also `FIELDLINE_CONFIG`.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory (embedded database and local files); also `FIELDLINE_DATA_DIR`.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (migrates the database first).
    Serve(ServeArgs),
    /// Serve a fresh embedded database filled with demo data, replacing a previous demo's.
    Demo(ServeArgs),
    /// Apply database migrations (SQLite or PostgreSQL, from the configured URL).
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage utilities (the tenants a server hosts).
    #[command(subcommand)]
    Utility(UtilityCommand),
    /// Manage the access token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// A scriptable handheld on the device client (login, sync, orders, field actions).
    Device(super::device::DeviceArgs),
}

/// `fieldline keys ...`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Retire the current signing key and create a new one (tokens already issued stay valid
    /// until they expire).
    Rotate,
}

/// Options of `serve` and `demo`.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080); also `FIELDLINE_LISTEN`.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

/// `fieldline user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (the password from a prompt, or from standard input).
    Add(UserAddArgs),
}

/// `fieldline user add NAME --role ROLE`
#[derive(Debug, Clone, Args)]
pub struct UserAddArgs {
    /// Sign-in name.
    pub name: String,
    /// reader, inspector, dispatcher, supervisor or admin.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// Utility slug; may be left out when the server hosts exactly one utility.
    #[arg(long, value_name = "SLUG")]
    pub utility: Option<String>,
    /// Name shown in the console (default: the sign-in name).
    #[arg(long)]
    pub display_name: Option<String>,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `fieldline utility ...`
#[derive(Debug, Subcommand)]
pub enum UtilityCommand {
    /// Create a utility.
    Add(UtilityAddArgs),
}

/// `fieldline utility add SLUG --name NAME`
#[derive(Debug, Clone, Args)]
pub struct UtilityAddArgs {
    /// Short unique name used at sign-in (`riverton`).
    pub slug: String,
    /// Display name (`Riverton Water`).
    #[arg(long)]
    pub name: String,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role {s:?}: use one of {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("fieldline").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?} should parse: {e}"))
    }

    #[test]
    fn serve_takes_listen_data_dir_and_config() {
        let cli = parse(&[
            "serve",
            "--listen",
            "0.0.0.0:9000",
            "--data-dir",
            "some/data",
            "--config",
            "fl.toml",
        ]);
        assert_eq!(cli.data_dir, Some(PathBuf::from("some/data")));
        assert_eq!(cli.config, Some(PathBuf::from("fl.toml")));
        match cli.command {
            Command::Serve(args) => assert_eq!(args.listen.as_deref(), Some("0.0.0.0:9000")),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn demo_migrate_and_defaults_parse() {
        assert!(matches!(parse(&["serve"]).command, Command::Serve(_)));
        let cli = parse(&["demo", "--listen", "127.0.0.1:0", "--data-dir", "d"]);
        assert!(matches!(
            cli.command,
            Command::Demo(ServeArgs { listen: Some(_) })
        ));
        let cli = parse(&["migrate", "--data-dir", "d"]);
        assert!(matches!(cli.command, Command::Migrate));
        assert_eq!(cli.data_dir, Some(PathBuf::from("d")));
    }

    #[test]
    fn user_add_parses_role_utility_and_stdin_flag() {
        let cli = parse(&[
            "user",
            "add",
            "dana",
            "--role",
            "dispatcher",
            "--utility",
            "riverton",
            "--display-name",
            "Dana D",
            "--password-stdin",
        ]);
        match cli.command {
            Command::User(UserCommand::Add(args)) => {
                assert_eq!(args.name, "dana");
                assert_eq!(args.role, Role::Dispatcher);
                assert_eq!(args.utility.as_deref(), Some("riverton"));
                assert_eq!(args.display_name.as_deref(), Some("Dana D"));
                assert!(args.password_stdin);
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn unknown_role_is_refused_with_the_choices() {
        let err = Cli::try_parse_from(["fieldline", "user", "add", "x", "--role", "boss"])
            .expect_err("boss is no role");
        assert!(err.to_string().contains("dispatcher"), "{err}");
    }

    #[test]
    fn keys_rotate_parses() {
        assert!(matches!(
            parse(&["keys", "rotate"]).command,
            Command::Keys(KeysCommand::Rotate)
        ));
    }

    #[test]
    fn utility_add_parses() {
        let cli = parse(&["utility", "add", "riverton", "--name", "Riverton Water"]);
        match cli.command {
            Command::Utility(UtilityCommand::Add(args)) => {
                assert_eq!(args.slug, "riverton");
                assert_eq!(args.name, "Riverton Water");
            }
            other => panic!("parsed as {other:?}"),
        }
    }
}
