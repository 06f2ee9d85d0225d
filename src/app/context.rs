//! What a caller gives a long command besides its request: a way to watch it ([`Events`]) and a
//! way to stop it ([`Cancel`]). The CLI draws bars (or prints a line every few seconds when
//! stderr is not a terminal) and stops on Ctrl-C; the Python package calls the user's
//! callbacks and stops on `KeyboardInterrupt`. Both go through these two types, so a command
//! reports and stops the same way whoever runs it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// What is counted while a task advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Bytes of a file read.
    Bytes,
    /// Files written or checked.
    Files,
    /// Work without a count (a build's stages).
    Steps,
}

/// One thing a command reports while it works.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A task starts: `total` units to do, when known.
    Start {
        /// What is being done (`import concepts`, `build pilot: members`, `export pilot:
        /// metadata.json`).
        task: String,
        /// How many units the task has, when known.
        total: Option<u64>,
        /// What the units are.
        unit: Unit,
    },
    /// The current task advanced: `done` units so far.
    Progress {
        /// The task.
        task: String,
        /// Units done so far.
        done: u64,
        /// The task's total, when known.
        total: Option<u64>,
    },
    /// The current task is done.
    Finish {
        /// The task.
        task: String,
    },
}

/// Receives a command's [`Event`]s. Called from the thread doing the work; implementations
/// decide how often to show them (a terminal bar redraws, a log prints every few seconds).
pub trait Events: Sync {
    /// Something happened.
    fn event(&self, event: &Event);
}

/// [`Events`] that shows nothing.
pub struct Quiet;

impl Events for Quiet {
    fn event(&self, _: &Event) {}
}

/// Stops a running command from another thread (a Ctrl-C handler, Python's main thread). The
/// command stops at its next check: between files, between rows, or inside an SQLite
/// statement (every connection the command opens registers its interrupt handle here), or
/// inside a team store's server statement (its connection registers a cancel request:
/// [`Cancel::on_cancel`]).
/// A write is committed only when no stop was asked before the commit; a command that was
/// stopped returns [`Error::Interrupted`].
#[derive(Clone, Default)]
pub struct Cancel {
    stopped: Arc<AtomicBool>,
    handles: Arc<Mutex<Vec<rusqlite::InterruptHandle>>>,
    hooks: Arc<Mutex<Vec<Hook>>>,
}

/// What a stop runs besides interrupting SQLite: a team store's cancel request to its server.
pub type Hook = Arc<dyn Fn() + Send + Sync>;

impl Cancel {
    /// A token nobody has stopped yet.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the command to stop, interrupts the SQLite statements it is running and runs the
    /// hooks (each on a thread of its own: a cancel request to a server that does not answer
    /// must not hold up the caller, a Ctrl-C handler).
    pub fn cancel(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Ok(handles) = self.handles.lock() {
            for handle in handles.iter() {
                handle.interrupt();
            }
        }
        if let Ok(hooks) = self.hooks.lock() {
            for hook in hooks.iter() {
                let hook = hook.clone();
                std::thread::spawn(move || hook());
            }
        }
    }

    /// Registers `hook` to run when a stop is asked (at once if one was already asked): a team
    /// store's connection sends its server a cancel request, so a statement running or
    /// waiting there (a write lock another writer holds, a long query) ends now rather than at
    /// its timeout.
    pub fn on_cancel(&self, hook: Hook) {
        if let Ok(mut hooks) = self.hooks.lock() {
            hooks.push(hook.clone());
        }
        if self.is_cancelled() {
            std::thread::spawn(move || hook());
        }
    }

    /// True once [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// `Err(Error::Interrupted)` once a stop was asked.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(Error::Interrupted);
        }
        Ok(())
    }

    /// Registers a connection, so a stop interrupts its running statement (at once if a stop
    /// was already asked).
    pub fn watch(&self, conn: &rusqlite::Connection) {
        let handle = conn.get_interrupt_handle();
        if let Ok(mut handles) = self.handles.lock() {
            handles.push(handle);
        }
        if self.is_cancelled() {
            self.cancel();
        }
    }

    /// The flag itself, for code that polls an `AtomicBool` (the progress handler of `query`).
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.stopped.clone()
    }

    /// Maps an error that a stop caused (an interrupted statement) to [`Error::Interrupted`];
    /// other errors pass through.
    pub fn explain(&self, err: Error) -> Error {
        if self.is_cancelled() {
            Error::Interrupted
        } else {
            err
        }
    }
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// What a command is given besides its request.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Where its events go.
    pub events: &'a dyn Events,
    /// How it is stopped.
    pub cancel: &'a Cancel,
}

impl<'a> Context<'a> {
    /// A context with its events and stop token.
    pub fn new(events: &'a dyn Events, cancel: &'a Cancel) -> Context<'a> {
        Context { events, cancel }
    }

    /// Reports that `task` starts.
    pub fn start(&self, task: &str, total: Option<u64>, unit: Unit) {
        self.events.event(&Event::Start {
            task: task.to_string(),
            total,
            unit,
        });
    }

    /// Reports that `task` finished.
    pub fn finish(&self, task: &str) {
        self.events.event(&Event::Finish {
            task: task.to_string(),
        });
    }
}
