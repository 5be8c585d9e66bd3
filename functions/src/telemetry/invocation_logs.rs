//! The lines an invocation logs, for the response's `Logs` (§3.2: the host writes each at
//! Information on the function's own logger). Lines are kept on the invocation's span, not in
//! a shared buffer, so concurrent invocations never see each other's lines.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Span, Subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::{INVOCATION_SPAN, INVOCATION_TARGET};

/// At most this many lines go back per invocation; a last line says how many more there were.
pub const MAX_LINES_PER_INVOCATION: usize = 100;

/// What one invocation has logged so far, kept in its span's extensions.
#[derive(Debug, Default)]
struct InvocationLog {
    lines: Vec<String>,
    dropped: usize,
}

impl InvocationLog {
    fn push(&mut self, line: String) {
        if self.lines.len() < MAX_LINES_PER_INVOCATION {
            self.lines.push(line);
        } else {
            self.dropped += 1;
        }
    }

    fn into_lines(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.lines.push(format!(
                "{} more log line(s) dropped: at most {MAX_LINES_PER_INVOCATION} are kept per invocation",
                self.dropped
            ));
        }
        self.lines
    }
}

/// Collects the events inside each invocation span (as far as the subscriber's filter lets
/// them through), one line each.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct InvocationLogsLayer;

impl<S> Layer<S> for InvocationLogsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        if meta.name() == INVOCATION_SPAN
            && meta.target() == INVOCATION_TARGET
            && let Some(span) = ctx.span(id)
        {
            span.extensions_mut().insert(InvocationLog::default());
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(scope) = ctx.event_scope(event) else {
            return;
        };
        // The nearest invocation span: events in child spans belong to it too.
        let Some(span) = scope
            .into_iter()
            .find(|span| span.extensions().get::<InvocationLog>().is_some())
        else {
            return;
        };
        let line = format_line(event);
        if let Some(log) = span.extensions_mut().get_mut::<InvocationLog>() {
            log.push(line);
        }
    }
}

/// The lines `span` collected, taken out of it (later events start a new collection only in a
/// new invocation span). Empty when the span is not an invocation span or the subscriber does
/// not collect.
pub fn take_invocation_logs(span: &Span) -> Vec<String> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let span = registry.span(id)?;
        let log = span.extensions_mut().remove::<InvocationLog>()?;
        Some(log.into_lines())
    })
    .flatten()
    .unwrap_or_default()
}

/// `LEVEL message key=value …`: no time (the host stamps its own) and no span fields (the host
/// files the line under the invocation already).
fn format_line(event: &Event<'_>) -> String {
    let mut visitor = LineVisitor::default();
    event.record(&mut visitor);
    let mut line = format!("{} {}", event.metadata().level(), visitor.message);
    line.push_str(&visitor.fields);
    line
}

#[derive(Default)]
struct LineVisitor {
    message: String,
    fields: String,
}

impl Visit for LineVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_log_keeps_the_first_lines_and_says_how_many_it_dropped() {
        let mut log = InvocationLog::default();
        for n in 0..MAX_LINES_PER_INVOCATION + 7 {
            log.push(format!("line {n}"));
        }
        let lines = log.into_lines();
        assert_eq!(lines.len(), MAX_LINES_PER_INVOCATION + 1);
        assert_eq!(lines[0], "line 0");
        assert_eq!(
            lines[MAX_LINES_PER_INVOCATION - 1],
            format!("line {}", MAX_LINES_PER_INVOCATION - 1)
        );
        assert!(
            lines[MAX_LINES_PER_INVOCATION].starts_with("7 more log line(s) dropped"),
            "{}",
            lines[MAX_LINES_PER_INVOCATION]
        );
    }
}
