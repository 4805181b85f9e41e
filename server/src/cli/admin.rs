//! Administration commands: `migrate`, `utility add`, `user add`. Each is a function over a store
//! (and, for passwords, a reader) so it can be tested without a terminal.

use super::args::{UserAddArgs, UtilityAddArgs};
use crate::auth::password::hash_password;
use crate::config::{Config, PasswordHashConfig, redact_database_url};
use crate::store::{self, NewUser, NewUtility, Store, StoreError, User, Utility};
use anyhow::{Context, anyhow, bail};
use std::io::BufRead;
use std::sync::Arc;

/// Opens the configured database and applies its migrations.
pub async fn open_migrated(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.database_url();
    let shown = redact_database_url(&url);
    let store = store::open(&url)
        .await
        .with_context(|| format!("cannot open database {shown}"))?;
    store
        .migrate()
        .await
        .with_context(|| format!("cannot migrate database {shown}"))?;
    tracing::info!(backend = store.backend(), database = %shown, "database ready");
    Ok(store)
}

/// `fieldline utility add SLUG --name NAME`.
pub async fn add_utility(store: &dyn Store, args: &UtilityAddArgs) -> anyhow::Result<Utility> {
    let slug = args.slug.trim();
    if slug.is_empty()
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        bail!("the utility slug must be lowercase letters, digits and '-' (like `riverton`)");
    }
    if args.name.trim().is_empty() {
        bail!("the utility name must not be empty: pass --name \"Riverton Water\"");
    }
    match store
        .create_utility(&NewUtility {
            slug: slug.to_string(),
            name: args.name.trim().to_string(),
        })
        .await
    {
        Ok(utility) => Ok(utility),
        Err(StoreError::Conflict(_)) => bail!("a utility with the slug {slug:?} already exists"),
        Err(e) => Err(e).context("cannot create the utility"),
    }
}

/// Reads a new password: the first line of `stdin` with `--password-stdin`, otherwise an
/// interactive prompt (asked twice).
pub fn read_password(password_stdin: bool, stdin: &mut impl BufRead) -> anyhow::Result<String> {
    let password = if password_stdin {
        let mut line = String::new();
        stdin
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        let first = rpassword::prompt_password("Password: ")
            .context("cannot prompt for a password (use --password-stdin without a terminal)")?;
        let again = rpassword::prompt_password("Password again: ")
            .context("cannot prompt for a password")?;
        if first != again {
            bail!("the passwords do not match");
        }
        first
    };
    if password.is_empty() {
        bail!("the password must not be empty");
    }
    Ok(password)
}

/// The utility a new user goes to: the named one, or the only one.
async fn target_utility(store: &dyn Store, slug: Option<&str>) -> anyhow::Result<Utility> {
    if let Some(slug) = slug {
        return match store.get_utility_by_slug(slug).await {
            Ok(utility) => Ok(utility),
            Err(StoreError::NotFound) => Err(anyhow!(
                "there is no utility {slug:?}: create it with `fieldline utility add {slug} --name NAME`"
            )),
            Err(e) => Err(e).context("cannot look up the utility"),
        };
    }
    let mut utilities = store
        .list_utilities()
        .await
        .context("cannot list utilities")?;
    match utilities.len() {
        0 => bail!(
            "this server has no utility yet: create one with `fieldline utility add SLUG --name NAME`"
        ),
        1 => Ok(utilities.remove(0)),
        _ => {
            let slugs: Vec<&str> = utilities.iter().map(|u| u.slug.as_str()).collect();
            bail!(
                "this server hosts several utilities: pass --utility SLUG (one of {})",
                slugs.join(", ")
            )
        }
    }
}

/// `fieldline user add NAME --role ROLE`, with the password already read.
pub async fn add_user(
    store: &dyn Store,
    args: &UserAddArgs,
    password: String,
    cost: PasswordHashConfig,
) -> anyhow::Result<User> {
    let username = args.name.trim();
    if username.is_empty() || username.chars().any(char::is_whitespace) {
        bail!("the username must be one word without spaces");
    }
    let utility = target_utility(store, args.utility.as_deref()).await?;
    let password_hash = hash_password(password, cost)
        .await
        .context("cannot hash the password")?;
    let new = NewUser {
        username: username.to_string(),
        display_name: args
            .display_name
            .clone()
            .unwrap_or_else(|| username.to_string()),
        role: args.role,
        password_hash,
    };
    match store.create_user(utility.id, &new).await {
        Ok(user) => Ok(user),
        Err(StoreError::Conflict(_)) => bail!(
            "the username {username:?} is already taken in utility {:?}",
            utility.slug
        ),
        Err(e) => Err(e).context("cannot create the user"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::password::verify_password_blocking;
    use crate::cli::args::{Cli, Command, UserCommand};
    use crate::store::testing::fresh_test_store;
    use clap::Parser;

    fn user_add_args(argv: &[&str]) -> UserAddArgs {
        let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{e}"));
        match cli.command {
            Command::User(UserCommand::Add(args)) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn password_stdin_reads_the_first_line_only() {
        let mut input = std::io::Cursor::new(b"s3cret pass\r\nsecond line\n".to_vec());
        let password = read_password(true, &mut input).expect("reads");
        assert_eq!(password, "s3cret pass");
        let mut empty = std::io::Cursor::new(b"\n".to_vec());
        assert!(read_password(true, &mut empty).is_err());
    }

    #[tokio::test]
    async fn user_add_with_password_stdin_creates_a_user_that_can_sign_in() {
        let (store, guard) = fresh_test_store().await.expect("test store");
        let args = user_add_args(&[
            "fieldline",
            "user",
            "add",
            "dana",
            "--role",
            "dispatcher",
            "--password-stdin",
        ]);

        let mut stdin = std::io::Cursor::new(b"hunter22\n".to_vec());
        let password = read_password(args.password_stdin, &mut stdin).expect("password");
        let cost = PasswordHashConfig::insecure_fast_for_tests();
        let err = add_user(store.as_ref(), &args, password.clone(), cost)
            .await
            .expect_err("no utility yet");
        assert!(err.to_string().contains("fieldline utility add"), "{err}");

        let utility = add_utility(
            store.as_ref(),
            &UtilityAddArgs {
                slug: "riverton".into(),
                name: "Riverton Water".into(),
            },
        )
        .await
        .expect("utility");
        let user = add_user(store.as_ref(), &args, password, cost)
            .await
            .expect("user");
        assert_eq!(user.utility_id, utility.id);
        assert_eq!(user.role, fieldline_core::model::Role::Dispatcher);
        assert!(verify_password_blocking("hunter22", &user.password_hash));

        let again = add_user(store.as_ref(), &args, "x".into(), cost).await;
        assert!(again.is_err(), "duplicate username refused");
        guard.cleanup().await;
    }
}
