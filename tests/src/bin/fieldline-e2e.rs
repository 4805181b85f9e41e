//! `fieldline-e2e`: the `fieldline` binary for the end-to-end crash tests, which can only name
//! binaries of their own package (`CARGO_BIN_EXE_fieldline-e2e`). Every command of `fieldline`
//! works unchanged (`serve`, `migrate`, `device ...`), plus one test-only command:
//!
//! `fieldline-e2e action-loop --home DIR --order ID --run N [--sync-every K] [--max M]`
//!
//! opens the device store in DIR (signed in already) and records notes on order ID through the
//! client API in a loop. After each call returned it prints `entry <entry id> <note text>` and
//! flushes, so every `entry` line is an action the client said was recorded. With
//! `--sync-every K` it also syncs after every K actions and prints `synced <uploaded changes>`
//! or `sync-failed <why>` (the loop goes on either way). It stops after M actions (default 5000) or when stdout is gone, so an
//! orphan never runs for long.

use fieldline_core::client::FieldClient;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("action-loop") {
        return match action_loop(&args[2..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    fieldline_server::cli::main()
}

/// The options of `action-loop`.
struct LoopArgs {
    home: String,
    order: String,
    run: String,
    sync_every: Option<u64>,
    max: u64,
}

fn parse(args: &[String]) -> Result<LoopArgs, String> {
    let mut home = None;
    let mut order = None;
    let mut run = "0".to_string();
    let mut sync_every = None;
    let mut max = 5000;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--home" => home = Some(value()?),
            "--order" => order = Some(value()?),
            "--run" => run = value()?,
            "--sync-every" => {
                sync_every = Some(value()?.parse().map_err(|e| format!("--sync-every: {e}"))?)
            }
            "--max" => max = value()?.parse().map_err(|e| format!("--max: {e}"))?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(LoopArgs {
        home: home.ok_or("--home DIR is required")?,
        order: order.ok_or("--order ID is required")?,
        run,
        sync_every,
        max,
    })
}

fn action_loop(args: &[String]) -> Result<(), String> {
    let args = parse(args)?;
    let client = FieldClient::open(&args.home).map_err(|e| format!("cannot open: {e}"))?;
    let mut stdout = std::io::stdout().lock();
    for i in 0..args.max {
        let text = format!("r{}-n{i}", args.run);
        let entry = client
            .note(&args.order, &text)
            .map_err(|e| format!("note {text}: {e}"))?;
        // The call returned: the action is recorded. Say so, and make sure it left the process.
        if writeln!(stdout, "entry {} {text}", entry.id)
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return Ok(());
        }
        if let Some(every) = args.sync_every
            && every > 0
            && (i + 1) % every == 0
        {
            let line = match client.sync() {
                Ok(report) => format!("synced {}", report.uploaded_changes),
                Err(e) => format!("sync-failed {e}"),
            };
            if writeln!(stdout, "{line}")
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return Ok(());
            }
        }
    }
    Ok(())
}
