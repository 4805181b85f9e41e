//! Listening for pokes: the device keeps the server's poke channel (`GET /api/v1/ws`) open and
//! syncs by itself whenever the server says something changed for its user, so an office edit
//! (a cancellation, a reassignment, a note to the crew) reaches the handheld without anyone
//! pressing sync. A poke carries no data: what changed always arrives through the normal sync,
//! which tells the change observers ([`FieldClient::subscribe`]) as it always does.
//!
//! [`FieldClient::listen`] starts two threads and returns a [`PushListener`]:
//! - the *channel* thread connects (refreshing the access token the way sync does), reads the
//!   server's messages, and reconnects with capped exponential backoff plus jitter when the
//!   connection drops or the server is down;
//! - the *sync* thread runs the syncs the channel asks for, one at a time. Pokes coalesce: a poke
//!   that arrives during a sync makes exactly one more sync after it (see [`schedule`]).
//!
//! Every (re)connect syncs once, since pokes may have been missed while the channel was down.
//! Neither thread holds the store's lock while it waits on the network (the sync takes it only to
//! read what to send and to apply the answer). [`PushListener::stop`] shuts the socket, wakes
//! both threads and waits for them; nothing is left running.
//!
//! The listener stops by itself, with the reason in [`PushEvent::Stopped`], when retrying cannot
//! help: the sign-in was refused even after a token refresh (revoked device, signed out), the
//! server wants a newer app, another user signed in on the device, the server has no poke
//! channel, or the user has more open channels than the server allows.

mod channel;
mod schedule;

pub use schedule::SyncCause;

use super::dao::{self, Account};
use super::error::ClientError;
use super::views::SyncReport;
use super::{FieldClient, require_account};
use channel::{Channel, Ended, Endpoint, Limits, Said};
use schedule::{Backoff, Demand};
use std::net::{Shutdown, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

/// The close code the server uses for the oldest connection of a user past its limit.
const CLOSE_TOO_MANY: u16 = 1008;

/// How the listener waits and retries. The defaults suit a handheld on a cellular network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSettings {
    /// The wait before the first reconnect (each one is jittered over its upper half).
    pub first_retry: Duration,
    /// The longest wait between reconnects.
    pub max_retry: Duration,
    /// A connection up at least this long starts the backoff again from `first_retry`.
    pub stable_after: Duration,
    /// Limit for the TCP connect, and again for the WebSocket handshake.
    pub connect_timeout: Duration,
    /// Longest silence on an open channel before it is taken as dead (the server pings every
    /// 30 s by default, so anything well above that).
    pub silence_timeout: Duration,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(60),
            stable_after: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            silence_timeout: Duration::from_secs(90),
        }
    }
}

/// What the listener did, for an app's status line or a log. Delivered on the listener's
/// threads, in order per thread; [`PushEvent::Stopped`] is always the last.
#[derive(Debug, Clone, PartialEq)]
pub enum PushEvent {
    /// The channel is open; a sync follows.
    Connected,
    /// A sync started.
    Syncing {
        /// Why it runs.
        cause: SyncCause,
    },
    /// A sync finished (the change observers heard which orders changed).
    Synced {
        /// Why it ran.
        cause: SyncCause,
        /// What it did.
        report: SyncReport,
    },
    /// A sync failed; work is kept and the next poke or reconnect syncs again.
    SyncFailed {
        /// Why it ran.
        cause: SyncCause,
        /// Why it failed.
        error: ClientError,
    },
    /// The channel dropped or could not be opened; the next attempt is in `retry_in`.
    Disconnected {
        /// Why.
        error: ClientError,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
    /// The listener stopped: `None` when asked to, else why it had to (show it; usually
    /// "sign in again" or "update the app").
    Stopped {
        /// Why it stopped by itself.
        error: Option<ClientError>,
    },
}

/// Something that wants to know what the listener does. Called on the listener's threads,
/// outside every lock; it may call back into the client, and may call [`PushListener::stop`].
pub trait PushObserver: Send + Sync {
    /// Called for each event.
    fn push_event(&self, event: PushEvent);
}

impl<F: Fn(PushEvent) + Send + Sync> PushObserver for F {
    fn push_event(&self, event: PushEvent) {
        self(event)
    }
}

impl FieldClient {
    /// Starts listening for pokes for the signed-in user with the default [`PushSettings`].
    /// Refused at once (`Unauthorized`) when nobody is signed in, and (`Protocol`) when the
    /// server URL cannot carry the channel; everything later is reported to `observer`.
    pub fn listen(
        self: &Arc<Self>,
        observer: impl PushObserver + 'static,
    ) -> Result<PushListener, ClientError> {
        self.listen_with(PushSettings::default(), Arc::new(observer))
    }

    /// [`FieldClient::listen`] with explicit settings.
    pub fn listen_with(
        self: &Arc<Self>,
        settings: PushSettings,
        observer: Arc<dyn PushObserver>,
    ) -> Result<PushListener, ClientError> {
        let account = self.store.read(|tx| require_account(tx))?;
        let endpoint = Endpoint::of(&account.server_url)?;
        let shared = Arc::new(Shared::default());
        let listen = Listen {
            client: Arc::clone(self),
            account,
            endpoint,
            settings,
            shared: Arc::clone(&shared),
            observer: Observer(observer),
        };
        let supervisor = std::thread::Builder::new()
            .name("fieldline-push".into())
            .spawn(move || listen.run())
            .map_err(|e| ClientError::Other(format!("cannot start the push listener: {e}")))?;
        Ok(PushListener {
            shared,
            supervisor: Mutex::new(Some(supervisor)),
        })
    }
}

/// A running listener. [`PushListener::stop`] (or dropping it) stops it and waits for its
/// threads: a moment, or the end of a sync already under way (the HTTP client's timeout at
/// worst), or of a TCP connect under way (`connect_timeout` at worst).
#[must_use = "the listener stops when this handle is dropped"]
pub struct PushListener {
    shared: Arc<Shared>,
    supervisor: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for PushListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushListener")
            .field("running", &self.is_running())
            .finish()
    }
}

impl PushListener {
    /// Stops listening and waits until both threads are gone (idempotent). Called from the
    /// listener's own observer it only asks, and the threads end right after the callback.
    pub fn stop(&self) {
        self.shared.halt(None);
        let handle = lock(&self.supervisor).take();
        let Some(handle) = handle else { return };
        let me = std::thread::current().id();
        if handle.thread().id() == me || self.shared.is_worker(me) {
            // Joining here would wait for ourselves; the thread is on its way out.
            return;
        }
        let _ = handle.join();
    }

    /// Whether the listener still runs (it stops by itself on errors retrying cannot fix).
    pub fn is_running(&self) -> bool {
        lock(&self.supervisor)
            .as_ref()
            .is_some_and(|h| !h.is_finished())
    }
}

impl Drop for PushListener {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The state both threads and the handle share, under one lock.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    demand: Demand,
    /// `Some` once stopping: `Some(None)` asked to, `Some(Some(e))` stopped by itself.
    stop: Option<Option<ClientError>>,
    /// The open (or opening) connection's stream, to shut when stopping.
    socket: Option<TcpStream>,
    worker: Option<ThreadId>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Starts stopping (the first reason wins): shuts the socket's read side, which wakes a
    /// blocked read at once, and wakes every waiter.
    fn halt(&self, reason: Option<ClientError>) {
        let mut state = self.state();
        if state.stop.is_none() {
            state.stop = Some(reason);
        }
        if let Some(socket) = &state.socket {
            let _ = socket.shutdown(Shutdown::Read);
        }
        drop(state);
        self.wake.notify_all();
    }

    fn stopping(&self) -> bool {
        self.state().stop.is_some()
    }

    fn stop_reason(&self) -> Option<ClientError> {
        self.state().stop.clone().flatten()
    }

    fn is_worker(&self, thread: ThreadId) -> bool {
        self.state().worker == Some(thread)
    }

    /// Remembers the stream of the connection being opened (shut at once if already stopping).
    fn set_socket(&self, stream: &TcpStream) {
        let mut state = self.state();
        let Ok(handle) = stream.try_clone() else {
            return;
        };
        if state.stop.is_some() {
            let _ = handle.shutdown(Shutdown::Read);
        }
        state.socket = Some(handle);
    }

    fn clear_socket(&self) {
        self.state().socket = None;
    }

    fn request(&self, cause: SyncCause) {
        self.state().demand.request(cause);
        self.wake.notify_all();
    }

    /// Waits for a sync to run; `None` once stopping.
    fn next_sync(&self) -> Option<SyncCause> {
        let state = self.state();
        let mut state = self
            .wake
            .wait_while(state, |s| s.stop.is_none() && !s.demand.is_pending())
            .unwrap_or_else(|e| e.into_inner());
        if state.stop.is_some() {
            return None;
        }
        state.demand.take()
    }

    /// Waits `delay` unless stopping sooner.
    fn pause(&self, delay: Duration) {
        let state = self.state();
        let _ = self
            .wake
            .wait_timeout_while(state, delay, |s| s.stop.is_none());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing in these locks is left half-updated by a panic.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The app's observer; a panic inside it is contained (the listener goes on).
#[derive(Clone)]
struct Observer(Arc<dyn PushObserver>);

impl Observer {
    fn tell(&self, event: PushEvent) {
        let _ = catch_unwind(AssertUnwindSafe(|| self.0.push_event(event)));
    }
}

/// The channel thread's job.
struct Listen {
    client: Arc<FieldClient>,
    account: Account,
    endpoint: Endpoint,
    settings: PushSettings,
    shared: Arc<Shared>,
    observer: Observer,
}

impl Listen {
    fn run(self) {
        let worker = {
            let (client, account_id) = (Arc::clone(&self.client), self.account.id);
            let (shared, observer) = (Arc::clone(&self.shared), self.observer.clone());
            std::thread::Builder::new()
                .name("fieldline-push-sync".into())
                .spawn(move || sync_loop(&client, account_id, &shared, &observer))
        };
        match worker {
            Ok(worker) => {
                self.shared.state().worker = Some(worker.thread().id());
                self.listen();
                self.shared.halt(None);
                let _ = worker.join();
            }
            Err(e) => self.shared.halt(Some(ClientError::Other(format!(
                "cannot start the push listener's sync thread: {e}"
            )))),
        }
        self.observer.tell(PushEvent::Stopped {
            error: self.shared.stop_reason(),
        });
    }

    /// Connects, reads, reconnects, until stopping.
    fn listen(&self) {
        let s = &self.settings;
        let mut backoff = Backoff::new(s.first_retry, s.max_retry, s.stable_after);
        while !self.shared.stopping() {
            let channel = match self.connect() {
                Ok(channel) => channel,
                Err(_) if self.shared.stopping() => break,
                Err(error) if retryable(&error) => {
                    let retry_in = backoff.after_failed_attempt(jitter());
                    self.observer
                        .tell(PushEvent::Disconnected { error, retry_in });
                    self.shared.pause(retry_in);
                    continue;
                }
                Err(error) => {
                    self.shared.halt(Some(error));
                    break;
                }
            };
            self.observer.tell(PushEvent::Connected);
            self.shared.request(SyncCause::Connected);
            let since = Instant::now();
            let (channel, ended) = self.read(channel);
            self.shared.clear_socket();
            channel.close();
            if self.shared.stopping() {
                break;
            }
            if let Ended::Closed {
                code: CLOSE_TOO_MANY,
                reason,
            } = &ended
            {
                // Coming back would close another of the user's channels, and so on.
                self.shared.halt(Some(ClientError::Other(format!(
                    "the server closed the poke channel: {reason}; close the user's other \
                     sessions, then listen again"
                ))));
                break;
            }
            let retry_in = backoff.after_disconnect(since.elapsed(), jitter());
            self.observer.tell(PushEvent::Disconnected {
                error: ended.to_error(),
                retry_in,
            });
            self.shared.pause(retry_in);
        }
    }

    /// Reads until the connection ends, asking for a sync on every poke.
    fn read(&self, mut channel: Channel) -> (Channel, Ended) {
        loop {
            match channel.next() {
                Ok(Said::Changed) => self.shared.request(SyncCause::Poked),
                // The connect already asked for a sync; unknown messages are for newer apps.
                Ok(Said::Hello | Said::Other) => {}
                Err(ended) => return (channel, ended),
            }
        }
    }

    /// Opens the channel as the listener's user: the stored token, refreshed when it is about
    /// to expire, and once more (forced) when the server refuses it, exactly as sync does.
    fn connect(&self) -> Result<Channel, ClientError> {
        let account = self.same_account()?;
        let limits = Limits {
            connect: self.settings.connect_timeout,
            silence: self.settings.silence_timeout,
        };
        let open = |token: &str| {
            channel::open(&self.endpoint, token, limits, |s| self.shared.set_socket(s))
        };
        let result =
            self.client
                .access_token(&account, false)
                .and_then(|token| match open(&token) {
                    Err(ClientError::Unauthorized(_)) => {
                        let token = self.client.access_token(&account, true)?;
                        open(&token)
                    }
                    other => other,
                });
        if let Err(error @ ClientError::Unauthorized(_)) = &result {
            // As after a refused sync: the tokens are no good; "sign in again" until then.
            let message = error.to_string();
            let _ = self.client.store.write(|tx| {
                dao::invalidate_token(tx, account.id)?;
                dao::set_sync_error(tx, account.id, &message)
            });
        }
        result
    }

    /// The signed-in account, unless someone else signed in since the listener started.
    fn same_account(&self) -> Result<Account, ClientError> {
        let account = self.client.store.read(|tx| require_account(tx))?;
        check_same(&self.account, &account)?;
        Ok(account)
    }
}

/// `Unauthorized` when `now` is not the account the listener was started for.
fn check_same(started: &Account, now: &Account) -> Result<(), ClientError> {
    if started.id == now.id {
        return Ok(());
    }
    Err(ClientError::Unauthorized(format!(
        "{} signed in on this device after {} started listening: listen again for them",
        now.username, started.username
    )))
}

/// Whether a failure to connect is worth another try: only the network's. A refused sign-in
/// (after the refresh), an app too old, a server without the channel or a broken store will
/// not fix themselves.
fn retryable(error: &ClientError) -> bool {
    matches!(error, ClientError::Network(_))
}

/// The sync thread: runs what the channel asks for, one sync at a time, until stopping.
fn sync_loop(client: &FieldClient, account_id: i64, shared: &Shared, observer: &Observer) {
    while let Some(cause) = shared.next_sync() {
        let current = client.store.read(|tx| require_account(tx));
        if let Ok(current) = &current
            && current.id != account_id
        {
            shared.halt(Some(ClientError::Unauthorized(format!(
                "{} signed in on this device after the listener started: listen again for them",
                current.username
            ))));
            return;
        }
        observer.tell(PushEvent::Syncing { cause });
        match current.and_then(|_| client.sync()) {
            Ok(report) => observer.tell(PushEvent::Synced { cause, report }),
            Err(error) => {
                let fatal = matches!(
                    error,
                    ClientError::Unauthorized(_) | ClientError::UpdateRequired(_)
                );
                observer.tell(PushEvent::SyncFailed {
                    cause,
                    error: error.clone(),
                });
                if fatal {
                    shared.halt(Some(error));
                    return;
                }
            }
        }
    }
}

/// A uniform draw in `[0, 1)` for the backoff's jitter (from the OS's randomness, by way of a
/// v4 UUID: no extra dependency).
fn jitter() -> f64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    // 53 random bits: exactly representable, strictly below 1.
    (u64::from_le_bytes(word) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_in_range_and_varies() {
        let draws: Vec<f64> = (0..64).map(|_| jitter()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)), "{draws:?}");
        let first = draws[0];
        assert!(draws.iter().any(|d| *d != first), "64 identical draws");
    }

    #[test]
    fn only_network_failures_are_retried() {
        assert!(retryable(&ClientError::Network("down".into())));
        for fatal in [
            ClientError::Unauthorized("revoked".into()),
            ClientError::UpdateRequired("old".into()),
            ClientError::Protocol("no channel".into()),
            ClientError::Storage("disk".into()),
        ] {
            assert!(!retryable(&fatal), "{fatal:?}");
        }
    }

    #[test]
    fn a_stop_wakes_waiters_and_the_first_reason_wins() {
        let shared = Arc::new(Shared::default());
        let waiter = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || shared.next_sync())
        };
        shared.halt(Some(ClientError::Unauthorized("revoked".into())));
        shared.halt(None);
        assert_eq!(waiter.join().ok(), Some(None), "the waiter saw the stop");
        assert_eq!(
            shared.stop_reason(),
            Some(ClientError::Unauthorized("revoked".into()))
        );
        // Pausing once stopped returns at once, whatever the delay.
        shared.pause(Duration::from_secs(3600));
    }

    #[test]
    fn pokes_queued_for_the_sync_thread_coalesce() {
        let shared = Shared::default();
        shared.request(SyncCause::Connected);
        shared.request(SyncCause::Poked);
        assert_eq!(shared.next_sync(), Some(SyncCause::Connected));
        shared.request(SyncCause::Poked);
        shared.request(SyncCause::Poked);
        assert_eq!(shared.next_sync(), Some(SyncCause::Poked));
        assert!(!shared.state().demand.is_pending());
    }
}
