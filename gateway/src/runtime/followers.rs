//! The followers' own runtime: the persister, the publisher and the price history run here, on
//! threads at a lower scheduling priority than the HTTP workers, the engine and the journal.
//!
//! Every order causes more work after its answer than before it: rows for reconciliation, a notice
//! and an OCDS release, candles. That work comes in batches, and on the same core as the order
//! path a batch held the HTTP workers for milliseconds at a time: about half of the orders' tail
//! at half the peak rate. At a lower priority a follower still gets the core whenever the
//! order path leaves it idle, so at any rate the node can sustain it keeps up as before; under
//! overload it falls behind first, and its lag shows in `/ready` and in the metrics, while answers
//! (already durable in the journal) keep their pace.
//!
//! The followers have a database pool of their own, opened on this runtime. SQLite's connections
//! are threads of their own, created by whichever thread opens them, so they take the same
//! priority. PostgreSQL's are sockets, registered with the I/O driver of the runtime that opened
//! them: in a pool shared with the HTTP handlers, a connection a follower had opened would have
//! kept a handler's read waiting on this runtime's lowered thread.

use std::future::Future;

/// How much nicer the followers' threads are than the process: 10 gives them about a tenth of a
/// contended core against the order path's threads.
pub const FOLLOWER_NICE: i32 = 10;

/// A runtime whose threads all run [`FOLLOWER_NICE`] lower than the process.
#[derive(Debug)]
pub struct Followers {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Followers {
    /// Starts the runtime: one worker, and a blocking pool for replays and row building.
    pub fn start() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("follower")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        Ok(Self { runtime: Some(runtime) })
    }

    /// A handle to spawn on it.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        match &self.runtime {
            Some(runtime) => runtime.handle(),
            None => unreachable!("the runtime is only taken when dropped"),
        }
    }

    /// Runs `start` with this runtime as the one `tokio::spawn` spawns on, so that every task it
    /// starts runs here. `start` must not await: the context is the caller's thread's.
    pub fn enter<R>(&self, start: impl FnOnce() -> R) -> R {
        let _context = self.handle().enter();
        start()
    }

    /// Runs `work` to its end on this runtime, from another runtime's task.
    pub async fn run<F>(&self, work: F) -> anyhow::Result<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(self.handle().spawn(work).await?)
    }
}

impl Drop for Followers {
    fn drop(&mut self) {
        // Dropped from within the node's own runtime, where blocking on the followers' threads is
        // not allowed; their tasks have been stopped by then, or are cut off with the process.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The lowest priority a thread can have.
const NICEST: i32 = 19;

/// Sets the calling thread's priority [`FOLLOWER_NICE`] below the process's. On Linux the nice
/// value belongs to the thread (the process's is its main thread's, which `getpid` names), so this
/// touches no other thread; and it is set from the process's, not the caller's, because a thread
/// inherits the nice value of the thread that started it, itself a follower. Lowering needs no
/// privilege.
fn lower_priority() {
    let process = Some(rustix::process::getpid());
    let lowered = rustix::process::getpriority_process(process).and_then(|nice| {
        rustix::process::setpriority_process(None, (nice + FOLLOWER_NICE).min(NICEST))
    });
    if let Err(e) = lowered {
        tracing::warn!(error = %e, "a follower thread keeps the normal priority");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_followers_threads_run_at_a_lower_priority_and_the_callers_does_not() {
        let followers = Followers::start().expect("runtime");
        let before = rustix::process::getpriority_process(None).expect("priority");
        let inside = followers
            .run(async { rustix::process::getpriority_process(None).expect("priority") })
            .await
            .expect("ran");
        let blocking = followers
            .run(async {
                tokio::task::spawn_blocking(|| {
                    rustix::process::getpriority_process(None).expect("priority")
                })
                .await
                .expect("joined")
            })
            .await
            .expect("ran");
        let lowered = (before + FOLLOWER_NICE).min(NICEST);
        assert_eq!((inside, blocking), (lowered, lowered));
        assert_eq!(rustix::process::getpriority_process(None).expect("priority"), before);
        let spawned = followers
            .enter(|| tokio::spawn(async { std::thread::current().name().map(str::to_owned) }));
        assert_eq!(spawned.await.expect("joined").as_deref(), Some("follower"));
    }
}
