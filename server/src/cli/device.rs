//! `fieldline device --home DIR <command>`: a scriptable handheld on the core's client, for
//! demos, support and load tests. Blocking calls, no async runtime. Everything but `login`,
//! `sync` and `watch` works with the server down.
//!
//! ORDER is an order id, a 1-based position in `fieldline device orders` (walk order), or an
//! unambiguous prefix of an order id.
//!
//! Exit codes: 0 ok; 1 storage, protocol or other failure; 2 usage (from clap); 3 refused by
//! the rules (the rule and the field are printed); 4 network (server down or unreachable);
//! 5 sign in again; 6 update the app; 7 no such order.

use super::device_print as print;
use super::device_watch;
use clap::{Args, Subcommand};
use fieldline_core::client::{ClientError, FieldClient};
use fieldline_core::{Capture, FieldAction, PhotoKind, PhotoRef, Refusal, rules};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// `fieldline device ...`
#[derive(Debug, Clone, Args)]
pub struct DeviceArgs {
    /// The handheld's store directory (one per simulated device); also `FIELDLINE_DEVICE_HOME`.
    #[arg(long, value_name = "DIR", env = "FIELDLINE_DEVICE_HOME")]
    pub home: PathBuf,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// What the handheld does.
    #[command(subcommand)]
    pub command: DeviceCommand,
}

/// The handheld's commands.
#[derive(Debug, Clone, Subcommand)]
pub enum DeviceCommand {
    /// Sign in (needs the server) and register this device.
    Login {
        /// The server's base URL (`http://127.0.0.1:8080`).
        #[arg(long, value_name = "URL")]
        server: String,
        /// Sign-in name.
        #[arg(long, value_name = "U")]
        user: String,
        /// Password.
        #[arg(long, value_name = "P")]
        password: String,
        /// Device name shown to the office (default: `fieldline-cli`).
        #[arg(long, default_value = "fieldline-cli")]
        name: String,
        /// Utility slug, for servers that host several.
        #[arg(long, value_name = "SLUG")]
        utility: Option<String>,
    },
    /// Upload pending work and receive what changed (needs the server).
    Sync,
    /// Stay connected to the server's poke channel and sync by itself whenever the office
    /// changes something for this user (and once on every connect): one line per sync on
    /// stdout, connection news on stderr. Ends after `--for` or on Ctrl-C (exit 0), or when
    /// retrying cannot help (sign in again, update the app).
    Watch {
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long = "for", value_name = "SECONDS")]
        for_secs: Option<u64>,
    },
    /// The route in walk order.
    Orders,
    /// One order: what to do, what was done, status and exceptions.
    Show {
        /// Order id, walk position or id prefix.
        order: String,
    },
    /// On the way to the premise.
    EnRoute {
        /// Order id, walk position or id prefix.
        order: String,
    },
    /// At the premise.
    Arrive {
        /// Order id, walk position or id prefix.
        order: String,
    },
    /// Work started.
    Start {
        /// Order id, walk position or id prefix.
        order: String,
    },
    /// A reading of one register.
    Read {
        /// Order id, walk position or id prefix.
        order: String,
        /// The value as keyed (`01050`).
        value: String,
        /// Register number.
        #[arg(long, default_value_t = 1)]
        register: u32,
        /// The blind re-key, when the rules ask for one.
        #[arg(long, value_name = "VALUE")]
        confirm: Option<String>,
    },
    /// No reading: a skip code instead.
    Skip {
        /// Order id, walk position or id prefix.
        order: String,
        /// Skip code (`no_access`, `dog`...).
        code: String,
    },
    /// A note for the office.
    Note {
        /// Order id, walk position or id prefix.
        order: String,
        /// The note.
        text: String,
    },
    /// One step of a service order's work, as JSON; `show ORDER` lists the order's steps, the
    /// shape of each and the completion codes.
    Capture {
        /// Order id, walk position or id prefix.
        order: String,
        /// The step as JSON (`{"step":"valve","position":"off","point":"curb_stop"}`).
        step: String,
        /// A photo already taken, as KIND:SHA256 (`lock:9f86…`); repeat for more.
        #[arg(long = "photo", value_name = "KIND:SHA256")]
        photos: Vec<String>,
        /// A note with the step.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// The work is done.
    Complete {
        /// Order id, walk position or id prefix.
        order: String,
        /// Completion code.
        #[arg(long, value_name = "C")]
        code: Option<String>,
    },
    /// The work could not be done.
    NotDone {
        /// Order id, walk position or id prefix.
        order: String,
        /// Reason code (`no_access`, `customer_refused`...).
        reason: String,
    },
    /// Pending changes, last sync, rejections.
    Status,
    /// Every signed-in user's work this device holds that the server has not acknowledged, as
    /// JSON (raw changes and the actions behind them): for an admin when a user cannot come back
    /// to sync it. Works offline.
    Export {
        /// Write the export to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Runs one handheld command and prints its outcome; the exit code says how it went.
pub fn main(args: DeviceArgs) -> ExitCode {
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            if args.json {
                print::json(&print::error_json(&err));
            }
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Runs one handheld command from the async CLI (on a blocking thread).
pub async fn run_async(args: DeviceArgs) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || run(&args))
        .await?
        .map_err(|e| anyhow::anyhow!(one_line(&e)))
}

/// The exit code for an error (see the module docs).
pub fn exit_code(err: &ClientError) -> u8 {
    match err {
        ClientError::Refused(_) => 3,
        ClientError::Network(_) => 4,
        ClientError::Unauthorized(_) => 5,
        ClientError::UpdateRequired(_) => 6,
        ClientError::NotFound(_) => 7,
        ClientError::Storage(_) | ClientError::Protocol(_) | ClientError::Other(_) => 1,
    }
}

fn one_line(err: &ClientError) -> String {
    match err {
        ClientError::Refused(refusal) => format!(
            "refused by rule {} on field {}: {}",
            refusal.rule, refusal.field, refusal.message
        ),
        other => other.to_string(),
    }
}

fn run(args: &DeviceArgs) -> Result<(), ClientError> {
    let client = FieldClient::open(&args.home)?;
    let json = args.json;
    match &args.command {
        DeviceCommand::Login {
            server,
            user,
            password,
            name,
            utility,
        } => {
            let account =
                client.sign_in_with_utility(server, user, password, name, utility.as_deref())?;
            emit(json, &account, || print::account(&account))
        }
        DeviceCommand::Sync => {
            let report = client.sync()?;
            emit(json, &report, || print::sync_report(&report))
        }
        DeviceCommand::Watch { for_secs } => device_watch::watch(
            std::sync::Arc::new(client),
            json,
            for_secs.map(std::time::Duration::from_secs),
        ),
        DeviceCommand::Orders => {
            let orders = client.orders()?;
            emit(json, &orders, || print::orders(&orders))
        }
        DeviceCommand::Show { order } => {
            let view = client.order(&resolve(&client, order)?)?;
            let needs = rules::requirements(view.office.order_type, &client.reference());
            if json {
                let mut value = serde_json::to_value(&view)?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("requirements".into(), serde_json::to_value(&needs)?);
                }
                print::json(&value);
                return Ok(());
            }
            print::order(&view);
            print::requirements(&needs);
            Ok(())
        }
        DeviceCommand::Status => {
            let status = client.status()?;
            emit(json, &status, || print::status(&status))
        }
        DeviceCommand::Export { out } => {
            let export = client.export_pending()?;
            let text = serde_json::to_string_pretty(&export).map_err(|e| {
                ClientError::Storage(format!("cannot write the export as JSON: {e}"))
            })?;
            match out {
                None => println!("{text}"),
                Some(path) => {
                    std::fs::write(path.as_path(), text + "\n").map_err(|e| {
                        ClientError::Storage(format!("cannot write {}: {e}", path.display()))
                    })?;
                    let changes: usize = export
                        .accounts
                        .iter()
                        .flat_map(|a| &a.orders)
                        .map(|o| o.changes.len())
                        .sum();
                    eprintln!(
                        "exported {changes} pending change(s) of {} user(s) to {}",
                        export.accounts.len(),
                        path.display()
                    );
                }
            }
            Ok(())
        }
        DeviceCommand::EnRoute { order } => act(json, &client, order, |c, id| c.en_route(id)),
        DeviceCommand::Arrive { order } => act(json, &client, order, |c, id| c.arrive(id)),
        DeviceCommand::Start { order } => act(json, &client, order, |c, id| c.start(id)),
        DeviceCommand::Read {
            order,
            value,
            register,
            confirm,
        } => act(json, &client, order, |c, id| {
            c.reading(id, *register, value, confirm.as_deref())
        }),
        DeviceCommand::Skip { order, code } => act(json, &client, order, |c, id| c.skip(id, code)),
        DeviceCommand::Note { order, text } => act(json, &client, order, |c, id| c.note(id, text)),
        DeviceCommand::Capture {
            order,
            step,
            photos,
            note,
        } => {
            let action = capture_action(step, photos, note.clone())?;
            act(json, &client, order, |c, id| c.record(id, action))
        }
        DeviceCommand::Complete { order, code } => act(json, &client, order, |c, id| {
            c.complete(id, code.as_deref())
        }),
        DeviceCommand::NotDone { order, reason } => {
            act(json, &client, order, |c, id| c.not_done(id, reason))
        }
    }
}

/// The capture action from the command line: the step's JSON and `KIND:SHA256` photos. Input
/// that does not parse is refused naming the field, like a rule.
fn capture_action(
    step: &str,
    photos: &[String],
    note: Option<String>,
) -> Result<FieldAction, ClientError> {
    let capture: Capture = serde_json::from_str(step).map_err(|e| {
        ClientError::Refused(Refusal::new(
            "device.capture_json",
            "step",
            format!("the step is not valid JSON for a capture ({e}); see `show ORDER`"),
        ))
    })?;
    let photos = photos
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let refuse = || {
                ClientError::Refused(Refusal::new(
                    "device.photo",
                    format!("photos[{i}]"),
                    "a photo is KIND:SHA256 (kind register, lock, box, leak, premise, notice, \
                     meter, evidence or other; 64 hex digits)",
                ))
            };
            let (kind, sha256) = text.split_once(':').ok_or_else(refuse)?;
            let kind: PhotoKind = serde_json::from_value(serde_json::Value::String(kind.into()))
                .map_err(|_| refuse())?;
            let sha256 = sha256.trim().to_ascii_lowercase();
            if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(refuse());
            }
            Ok(PhotoRef { sha256, kind })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FieldAction::Capture {
        capture,
        photos,
        note,
    })
}

fn act(
    json: bool,
    client: &FieldClient,
    order: &str,
    action: impl FnOnce(&FieldClient, &str) -> Result<fieldline_core::FieldEntry, ClientError>,
) -> Result<(), ClientError> {
    let order_id = resolve(client, order)?;
    let entry = action(client, &order_id)?;
    emit(json, &entry, || print::entry(&order_id, &entry))
}

fn emit<T: Serialize>(json: bool, value: &T, human: impl FnOnce()) -> Result<(), ClientError> {
    if json {
        print::json(value);
    } else {
        human();
    }
    Ok(())
}

/// An order id from what the user typed: an id, a walk position, or a unique id prefix.
fn resolve(client: &FieldClient, typed: &str) -> Result<String, ClientError> {
    let orders = client.orders()?;
    if orders.iter().any(|o| o.order_id == typed) {
        return Ok(typed.to_string());
    }
    if let Ok(position) = typed.parse::<u32>()
        && let Some(order) = orders.iter().find(|o| o.position == position)
    {
        return Ok(order.order_id.clone());
    }
    let matches: Vec<&str> = orders
        .iter()
        .filter(|o| o.order_id.starts_with(typed))
        .map(|o| o.order_id.as_str())
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(ClientError::NotFound(format!(
            "no order {typed:?} on this device (see `fieldline device orders`)"
        ))),
        many => Err(ClientError::NotFound(format!(
            "{typed:?} matches {} orders: type more of the id",
            many.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> DeviceArgs {
        let cli = Cli::try_parse_from(std::iter::once("fieldline").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?} should parse: {e}"));
        match cli.command {
            Command::Device(args) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn device_commands_parse_with_json_anywhere() {
        let args = parse(&[
            "device",
            "--home",
            "handheld-home",
            "read",
            "3",
            "01050",
            "--register",
            "2",
            "--confirm",
            "01050",
            "--json",
        ]);
        assert!(args.json);
        assert_eq!(args.home, PathBuf::from("handheld-home"));
        match args.command {
            DeviceCommand::Read {
                order,
                value,
                register,
                confirm,
            } => {
                assert_eq!(
                    (order.as_str(), value.as_str(), register),
                    ("3", "01050", 2)
                );
                assert_eq!(confirm.as_deref(), Some("01050"));
            }
            other => panic!("parsed as {other:?}"),
        }
        let args = parse(&[
            "device",
            "--home",
            "d",
            "login",
            "--server",
            "http://x",
            "--user",
            "u",
            "--password",
            "p",
        ]);
        assert!(!args.json);
        assert!(
            matches!(args.command, DeviceCommand::Login { name, .. } if name == "fieldline-cli")
        );
        assert!(matches!(
            parse(&["device", "--home", "d", "complete", "1", "--code", "done"]).command,
            DeviceCommand::Complete { code: Some(_), .. }
        ));
        assert!(matches!(
            parse(&["device", "--home", "d", "not-done", "1", "no_access"]).command,
            DeviceCommand::NotDone { .. }
        ));
        assert!(matches!(
            parse(&["device", "--home", "d", "en-route", "1"]).command,
            DeviceCommand::EnRoute { .. }
        ));
    }

    #[test]
    fn capture_parses_the_step_json_and_photos() {
        let args = parse(&[
            "device",
            "--home",
            "d",
            "capture",
            "2",
            r#"{"step":"valve","position":"off","point":"curb_stop"}"#,
            "--photo",
            &format!("lock:{}", "AB".repeat(32)),
            "--note",
            "behind the hedge",
        ]);
        let DeviceCommand::Capture {
            step, photos, note, ..
        } = args.command
        else {
            panic!("parsed as {:?}", args.command);
        };
        let action = capture_action(&step, &photos, note).expect("valid capture");
        let FieldAction::Capture {
            capture, photos, ..
        } = action
        else {
            panic!("not a capture: {action:?}");
        };
        assert_eq!(capture.step(), "valve");
        assert_eq!(photos[0].kind, PhotoKind::Lock);
        assert_eq!(photos[0].sha256, "ab".repeat(32));
    }

    #[test]
    fn capture_refuses_bad_json_and_bad_photos_naming_the_field() {
        let bad_json = capture_action(r#"{"step":"teleport"}"#, &[], None);
        assert!(
            matches!(&bad_json, Err(ClientError::Refused(r)) if r.field == "step"),
            "{bad_json:?}"
        );
        let valve = r#"{"step":"valve","position":"on","point":null}"#;
        for photo in ["lock", "selfie:00", &format!("lock:{}", "zz".repeat(32))] {
            let refused = capture_action(valve, &[photo.to_string()], None);
            assert!(
                matches!(&refused, Err(ClientError::Refused(r)) if r.field == "photos[0]"),
                "{photo}: {refused:?}"
            );
        }
    }

    #[test]
    fn exit_codes_tell_refusals_from_network_failures() {
        let refused = ClientError::Refused(fieldline_core::Refusal::new("r", "f", "m"));
        assert_eq!(exit_code(&refused), 3);
        assert_eq!(exit_code(&ClientError::Network("down".into())), 4);
        assert_eq!(exit_code(&ClientError::Unauthorized("x".into())), 5);
        assert_eq!(one_line(&refused), "refused by rule r on field f: m");
    }

    #[test]
    fn watch_parses_its_duration_and_refuses_a_store_nobody_signed_in_to() {
        let args = parse(&["device", "--home", "d", "watch", "--for", "30", "--json"]);
        assert!(args.json);
        assert!(matches!(
            args.command,
            DeviceCommand::Watch { for_secs: Some(30) }
        ));
        assert!(matches!(
            parse(&["device", "--home", "d", "watch"]).command,
            DeviceCommand::Watch { for_secs: None }
        ));
        let dir =
            std::env::temp_dir().join(format!("fieldline-device-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let args = parse(&[
            "device",
            "--home",
            dir.to_str().unwrap_or("."),
            "watch",
            "--for",
            "600",
        ]);
        // Refused at once, not after the ten minutes: there is nobody to listen for.
        let started = std::time::Instant::now();
        let refused = run(&args);
        assert!(
            matches!(refused, Err(ClientError::Unauthorized(_))),
            "{refused:?}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn offline_commands_work_on_an_empty_store() {
        let dir = std::env::temp_dir().join(format!("fieldline-device-cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let args = parse(&["device", "--home", dir.to_str().unwrap_or("."), "status"]);
        assert!(run(&args).is_ok());
        let args = parse(&["device", "--home", dir.to_str().unwrap_or("."), "orders"]);
        assert!(matches!(run(&args), Err(ClientError::Unauthorized(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
