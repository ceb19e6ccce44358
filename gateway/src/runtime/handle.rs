//! The engine handle: how everything outside the engine task reaches the engine. A cloneable sender
//! on a bounded queue; each command carries a one-shot reply channel. When the queue is full the
//! caller is told at once that the marketplace is overloaded, rather than queued without bound.

use engine::types::Seq;
use engine::{Command, EventEnvelope};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

/// The result of a command, released only after its batch was fsynced.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// The command's sequence.
    pub seq: Seq,
    /// The events it produced.
    pub events: Vec<EventEnvelope>,
}

/// Why a command got no outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The engine's queue is full; try again shortly.
    #[error("the marketplace is overloaded; try again shortly")]
    Overloaded,
    /// The engine task had stopped before the command reached it: nothing was done.
    #[error("the marketplace engine is not running; nothing was done")]
    Unavailable,
    /// The command reached the engine task, which stopped before its batch was known to be durable:
    /// it may or may not have been recorded. A retry with the same idempotency key tells which.
    #[error(
        "the marketplace could not confirm whether this command was recorded; retry it with the same Idempotency-Key to learn its outcome"
    )]
    OutcomeUnknown,
}

// Commands are the common case and are moved, not boxed: boxing would allocate per command.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Request {
    /// A command; one with a `deadline` that has passed by the time the engine reaches it is
    /// dropped unapplied (its reply with it).
    Apply {
        command: Command,
        reply: oneshot::Sender<Outcome>,
        deadline: Option<Instant>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
    Copy {
        reply: oneshot::Sender<engine::Engine>,
    },
}

/// A handle on the engine task.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    pub(crate) tx: mpsc::Sender<Request>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Apply { command, .. } => write!(f, "Apply({:?})", command.action.kind()),
            Request::Shutdown { .. } => f.write_str("Shutdown"),
            Request::Copy { .. } => f.write_str("Copy"),
        }
    }
}

impl EngineHandle {
    /// Submits a command; refuses at once with `Overloaded` when the queue is full.
    pub async fn submit(&self, command: Command) -> Result<Outcome, SubmitError> {
        self.try_enqueue(command)?.await.map_err(|_| SubmitError::OutcomeUnknown)
    }

    /// Submits a forwarded command that its sender waits for until `deadline` only: if the engine
    /// reaches it later, it is dropped unapplied. Refuses at once when the queue is full.
    pub async fn submit_by(
        &self,
        command: Command,
        deadline: Instant,
    ) -> Result<Outcome, SubmitError> {
        let (reply, rx) = oneshot::channel();
        let request = Request::Apply { command, reply, deadline: Some(deadline) };
        self.tx.try_send(request).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SubmitError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => SubmitError::Unavailable,
        })?;
        rx.await.map_err(|_| SubmitError::OutcomeUnknown)
    }

    /// Queues a command without waiting, or refuses at once; the receiver yields its outcome once
    /// the command's batch is durable.
    pub fn try_enqueue(&self, command: Command) -> Result<oneshot::Receiver<Outcome>, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx.try_send(Request::Apply { command, reply, deadline: None }).map_err(
            |e| match e {
                mpsc::error::TrySendError::Full(_) => SubmitError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => SubmitError::Unavailable,
            },
        )?;
        Ok(rx)
    }

    /// Submits a command, waiting for room in the queue: for loaders that would rather wait than
    /// be refused.
    pub async fn submit_waiting(&self, command: Command) -> Result<Outcome, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Apply { command, reply, deadline: None })
            .await
            .map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::OutcomeUnknown)
    }

    /// Queues a command from a thread outside the async runtime, waiting for room in the queue but
    /// not for the outcome, which the receiver yields once the command is durable.
    pub fn enqueue_blocking(
        &self,
        command: Command,
    ) -> Result<oneshot::Receiver<Outcome>, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .blocking_send(Request::Apply { command, reply, deadline: None })
            .map_err(|_| SubmitError::Unavailable)?;
        Ok(rx)
    }

    /// As [`Self::submit_waiting`], from a thread outside the async runtime.
    pub fn submit_blocking(&self, command: Command) -> Result<Outcome, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .blocking_send(Request::Apply { command, reply, deadline: None })
            .map_err(|_| SubmitError::Unavailable)?;
        rx.blocking_recv().map_err(|_| SubmitError::OutcomeUnknown)
    }

    /// A copy of the engine as of the last released batch: how read models start.
    pub async fn copy_engine(&self) -> Result<engine::Engine, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request::Copy { reply }).await.map_err(|_| SubmitError::Unavailable)?;
        rx.await.map_err(|_| SubmitError::Unavailable)
    }

    /// True once the engine task (or, on an edge, the link to the owner) has stopped.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Commands waiting in the queue.
    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}
