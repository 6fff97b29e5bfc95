//! Keeps a background task alive: when it panics (or ends), the panic is logged, and the
//! task is started again after a back-off that doubles from one second up to a minute (and
//! starts over once a run has lasted a minute). Ending the supervisor ends the task.

use std::future::Future;
use std::time::Duration;
use tokio::task::JoinSet;

/// The waits between restarts: `first`, doubling up to `longest`.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub first: Duration,
    pub longest: Duration,
}

impl Backoff {
    pub const DEFAULT: Self = Self {
        first: Duration::from_secs(1),
        longest: Duration::from_secs(60),
    };
}

/// Runs `start()` again and again; `on_exit` is told each time a run ended.
pub async fn supervise<F, Fut>(
    name: &'static str,
    backoff: Backoff,
    mut start: F,
    on_exit: impl Fn(),
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut delay = backoff.first;
    loop {
        let began = tokio::time::Instant::now();
        // A JoinSet aborts its task when dropped, so aborting the supervisor ends the task.
        let mut run = JoinSet::new();
        run.spawn(start());
        match run.join_next().await {
            Some(Err(e)) if e.is_panic() => {
                let panic = e.into_panic();
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(task = name, panic = %message, restart_in = ?delay, "background task panicked; restarting it");
            }
            Some(Err(_)) => return,
            _ => {
                tracing::warn!(task = name, restart_in = ?delay, "background task ended; restarting it")
            }
        }
        on_exit();
        if began.elapsed() >= backoff.longest {
            delay = backoff.first;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(backoff.longest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_panicking_task_is_restarted_with_a_growing_back_off() {
        let backoff = Backoff {
            first: Duration::from_millis(20),
            longest: Duration::from_millis(80),
        };
        let began = std::time::Instant::now();
        let runs = Arc::new(AtomicUsize::new(0));
        let exits = Arc::new(AtomicUsize::new(0));
        let (counted, exited) = (runs.clone(), exits.clone());
        let supervisor = tokio::spawn(supervise(
            "test",
            backoff,
            move || {
                let runs = counted.clone();
                async move {
                    if runs.fetch_add(1, Ordering::SeqCst) < 3 {
                        panic!("deliberate");
                    }
                    std::future::pending::<()>().await;
                }
            },
            move || {
                exited.fetch_add(1, Ordering::SeqCst);
            },
        ));
        while runs.load(Ordering::SeqCst) < 4 {
            assert!(began.elapsed() < Duration::from_secs(10), "never restarted");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Waits of 20, 40 and 80 ms came before the fourth run, which stays.
        assert!(began.elapsed() >= Duration::from_millis(140));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 4);
        assert_eq!(exits.load(Ordering::SeqCst), 3);
        supervisor.abort();
    }
}
