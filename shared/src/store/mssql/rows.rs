//! Sending statements and reading their rows: the few calls into tiberius every unit of work
//! uses, with errors mapped once.

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use tiberius::{Row, ToSql};

use super::config::Connection;
use super::retry::map_error;
use crate::store::StoreError;

/// Runs a parameterised statement; returns the rows it affected.
pub(super) async fn exec(
    c: &mut Connection,
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<u64, StoreError> {
    Ok(c.execute(sql, params).await.map_err(map_error)?.total())
}

/// Runs a parameterised query; returns its first result set.
pub(super) async fn query(
    c: &mut Connection,
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<Vec<Row>, StoreError> {
    c.query(sql, params)
        .await
        .map_err(map_error)?
        .into_first_result()
        .await
        .map_err(map_error)
}

/// Runs a batch without parameters at the session's own level. Parameterised statements run
/// inside `sp_executesql`, where a `#temp` table created would vanish when it returns, so DDL
/// goes this way.
pub(super) async fn run_batch(c: &mut Connection, sql: &str) -> Result<(), StoreError> {
    c.simple_query(sql)
        .await
        .map_err(map_error)?
        .into_results()
        .await
        .map_err(map_error)?;
    Ok(())
}

/// Times are stored as DATETIME2(3) in UTC: cut to the millisecond here, as SQLite's text
/// form cuts them, so what is read back is what SQLite would give.
pub(super) fn to_db_time(time: &DateTime<Utc>) -> NaiveDateTime {
    let naive = time.naive_utc();
    let millis = naive.nanosecond() / 1_000_000 * 1_000_000;
    naive.with_nanosecond(millis).unwrap_or(naive)
}

fn corrupt(what: &str) -> impl Fn(tiberius::error::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

/// A nullable text column.
pub(super) fn text(row: &Row, index: usize, what: &str) -> Result<Option<String>, StoreError> {
    Ok(row
        .try_get::<&str, _>(index)
        .map_err(corrupt(what))?
        .map(str::to_owned))
}

/// A text column that must not be NULL.
pub(super) fn required_text(row: &Row, index: usize, what: &str) -> Result<String, StoreError> {
    text(row, index, what)?.ok_or_else(|| StoreError::Corrupt(format!("{what} is NULL")))
}

/// A nullable BIGINT column.
pub(super) fn int(row: &Row, index: usize, what: &str) -> Result<Option<i64>, StoreError> {
    row.try_get::<i64, _>(index).map_err(corrupt(what))
}

/// A BIGINT column that must not be NULL.
pub(super) fn required_int(row: &Row, index: usize, what: &str) -> Result<i64, StoreError> {
    int(row, index, what)?.ok_or_else(|| StoreError::Corrupt(format!("{what} is NULL")))
}

/// A nullable BIT column.
pub(super) fn flag(row: &Row, index: usize, what: &str) -> Result<Option<bool>, StoreError> {
    row.try_get::<bool, _>(index).map_err(corrupt(what))
}

/// A nullable DATETIME2 column, in UTC.
pub(super) fn time(
    row: &Row,
    index: usize,
    what: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(row
        .try_get::<NaiveDateTime, _>(index)
        .map_err(corrupt(what))?
        .map(|t| t.and_utc()))
}

/// A DATETIME2 column that must not be NULL.
pub(super) fn required_time(
    row: &Row,
    index: usize,
    what: &str,
) -> Result<DateTime<Utc>, StoreError> {
    time(row, index, what)?.ok_or_else(|| StoreError::Corrupt(format!("{what} is NULL")))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn stored_times_are_cut_to_the_millisecond_like_sqlites() {
        let time = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap()
            + chrono::Duration::nanoseconds(123_999_999);
        let stored = to_db_time(&time);
        assert_eq!(stored.and_utc().timestamp_subsec_nanos(), 123_000_000);
        assert_eq!(
            crate::store::sqlite::to_db_time(&stored.and_utc()),
            crate::store::sqlite::to_db_time(&time)
        );
    }
}
