//! The host's admin call for running a non-HTTP function now: `POST /admin/functions/{name}`
//! with a JSON body (`{"input": ""}`), answered `202 Accepted` while the function runs in the
//! background — the way `func start` lets a developer fire a timer without waiting for its
//! schedule. Timer functions only: a queue-triggered function runs by sending its queue a
//! message, which keeps the queue's delivery guarantees. Like `func start`, the local host asks
//! for no master key; it listens on loopback only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio_util::task::TaskTracker;

use super::http_front::problem;
use super::timers::TimerRunner;

/// The timer functions the admin call can run.
#[derive(Debug)]
pub struct Admin {
    /// Timer runners by function name.
    pub timers: HashMap<String, TimerRunner>,
    /// Where a run is tracked, so shutting down waits for it.
    pub tasks: TaskTracker,
}

/// Serves `POST /admin/functions/{name}`.
pub async fn run_function(State(admin): State<Arc<Admin>>, Path(name): Path<String>) -> Response {
    let Some(runner) = admin
        .timers
        .iter()
        .find(|(function, _)| function.eq_ignore_ascii_case(&name))
        .map(|(_, runner)| runner.clone())
    else {
        return problem(
            StatusCode::NOT_FOUND,
            &format!(
                "no timer function is named `{name}` (only timer functions run through this \
                 call; a queue-triggered one runs by sending its queue a message)"
            ),
        );
    };
    admin.tasks.spawn(async move { runner.fire_now().await });
    StatusCode::ACCEPTED.into_response()
}
