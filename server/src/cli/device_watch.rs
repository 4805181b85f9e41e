//! `fieldline device watch`: the handheld listening for pokes (the core's push listener) until
//! `--for` elapses or Ctrl-C, printing one line per sync the listener ran. The listener's
//! threads do the work; this thread only waits for its events, the deadline or the interrupt.

use super::device_print as print;
use fieldline_core::client::{ClientError, FieldClient, PushEvent};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the waiting thread hears.
enum Heard {
    Event(PushEvent),
    Interrupted,
}

/// Listens until `duration` (forever without) or Ctrl-C: `Ok` then, the listener's reason when
/// it stopped by itself.
pub fn watch(
    client: Arc<FieldClient>,
    json: bool,
    duration: Option<Duration>,
) -> Result<(), ClientError> {
    let (tx, rx) = mpsc::channel::<Heard>();
    let events = tx.clone();
    let listener = client.listen(move |event: PushEvent| {
        let _ = events.send(Heard::Event(event));
    })?;
    let interrupt = Interrupt::watch(tx);
    let deadline = duration.map(|d| Instant::now() + d);
    let outcome = loop {
        let heard = match deadline {
            Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match heard {
            Err(RecvTimeoutError::Timeout) | Ok(Heard::Interrupted) => break Ok(()),
            // Every sender is gone: the listener ended without its last word (not expected).
            Err(RecvTimeoutError::Disconnected) => break Ok(()),
            Ok(Heard::Event(PushEvent::Stopped { error })) => break error.map_or(Ok(()), Err),
            Ok(Heard::Event(event)) => print::watch_event(json, &event),
        }
    };
    listener.stop();
    interrupt.finish();
    outcome
}

/// Ctrl-C while watching, on a thread of its own with a small runtime for the signal.
struct Interrupt {
    done: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Interrupt {
    /// Sends [`Heard::Interrupted`] on Ctrl-C until [`Interrupt::finish`]. Without a runtime
    /// for the signal, Ctrl-C ends the process as usual (and `--for` still works).
    fn watch(tx: Sender<Heard>) -> Interrupt {
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fieldline-watch-ctrl-c".into())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    tokio::select! {
                        signal = tokio::signal::ctrl_c() => {
                            if signal.is_ok() {
                                let _ = tx.send(Heard::Interrupted);
                            }
                        }
                        _ = finished => {}
                    }
                });
            })
            .ok();
        Interrupt {
            done: Some(done),
            thread,
        }
    }

    /// Stops watching for Ctrl-C and waits for the thread.
    fn finish(mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
