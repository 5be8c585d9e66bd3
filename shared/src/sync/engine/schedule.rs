//! `ScheduleSync`: which jobs are due, made once per schedule slot however often the timer
//! fires, and the sweep that hands on jobs whose delivery was lost.

use chrono::{DateTime, Duration, Utc};

use super::{LEASE, SyncMessage};
use crate::connections::{ConnectionSettings, ObjectKind, Platform};
use crate::store::{Store, StoreError, SyncJob, SyncStatus, SyncTrigger};

/// Jobs made or handed on by one timer tick.
#[derive(Debug, Default)]
pub struct ScheduleOutcome {
    /// Messages for the `sync` queue.
    pub messages: Vec<SyncMessage>,
    /// Jobs made this tick.
    pub made: u64,
    /// Jobs handed on again: queued but never started, or whose runner died.
    pub swept: u64,
    /// Connections whose settings could not be read (reported, skipped).
    pub unreadable: Vec<String>,
}

/// How long a queued job may wait before the sweep sends it again (its message was lost).
const QUEUED_PATIENCE: Duration = Duration::minutes(10);

/// Recent jobs per connection the sweep looks at.
const SWEEP_WINDOW: u32 = 50;

/// The id of the scheduled job of `kind` on `platform` in the slot that holds `now`: slots
/// are `every_minutes` long from the Unix epoch, so every tick in a slot names the same job.
pub fn scheduled_job_id(
    platform: Platform,
    kind: ObjectKind,
    every_minutes: u32,
    now: DateTime<Utc>,
) -> String {
    let every = i64::from(every_minutes.max(1));
    let slot = now.timestamp().div_euclid(60) / every * every;
    format!("s-{platform}-{}-{slot}", kind.as_str())
}

/// Makes each due job once and hands on the lost ones.
pub async fn schedule(
    store: &dyn Store,
    now: DateTime<Utc>,
) -> Result<ScheduleOutcome, StoreError> {
    let mut outcome = ScheduleOutcome::default();
    for record in store.all_connections().await? {
        let settings: ConnectionSettings = match serde_json::from_value(record.settings.clone()) {
            Ok(settings) => settings,
            Err(e) => {
                outcome
                    .unreadable
                    .push(format!("{}/{}: {e}", record.tenant, record.platform));
                continue;
            }
        };
        for kind in ObjectKind::ALL {
            let sync = settings.objects.get(kind);
            if sync.direction == crate::connections::Direction::Off {
                continue;
            }
            let id = scheduled_job_id(record.platform, kind, sync.every_minutes, now);
            let job = SyncJob::queued(
                record.tenant.clone(),
                id,
                record.platform,
                kind,
                SyncTrigger::Schedule,
                None,
                now,
            );
            let (job, made) = store.create_sync_job(&job).await?;
            if made {
                outcome.made += 1;
                outcome.messages.push(SyncMessage {
                    tenant: job.tenant,
                    job_id: job.id,
                });
            }
        }
        for job in store
            .list_sync_jobs(&record.tenant, Some(record.platform), None, SWEEP_WINDOW)
            .await?
        {
            let lost = match job.status {
                SyncStatus::Queued => job.created_at + QUEUED_PATIENCE <= now,
                SyncStatus::Running => job.lease_until.is_none_or(|until| {
                    until + Duration::from_std(LEASE).unwrap_or_default() <= now
                }),
                SyncStatus::Succeeded | SyncStatus::Failed => false,
            };
            if lost {
                outcome.swept += 1;
                outcome.messages.push(SyncMessage {
                    tenant: job.tenant,
                    job_id: job.id,
                });
            }
        }
    }
    Ok(outcome)
}
