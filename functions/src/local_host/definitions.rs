//! Reads `host.json` and every `function.json` the way the Functions host does, into typed
//! definitions. A binding the local host cannot play is a start-up error, not a silent gap.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use shared::schedule::Schedule;

/// Why the app's function metadata cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    /// A file is missing or unreadable.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A binding the local host does not know or cannot honour.
    #[error("{function}: {reason}")]
    Binding {
        /// The function.
        function: String,
        /// What is wrong.
        reason: String,
    },
}

/// The parts of `host.json` the local host honours.
#[derive(Debug, Clone, PartialEq)]
pub struct HostConfig {
    /// `extensions.http.routePrefix` (default `api`).
    pub route_prefix: String,
    /// `extensions.serviceBus.maxConcurrentCalls` (default 16).
    pub max_concurrent_calls: usize,
    /// `extensions.serviceBus.maxAutoLockRenewalDuration` (default 5 minutes).
    pub max_lock_renewal: Duration,
    /// `functionTimeout` (default 30 minutes, the Flex Consumption default).
    pub function_timeout: Duration,
}

/// A function and its bindings.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    /// The folder name: the path the host POSTs to.
    pub name: String,
    /// The trigger.
    pub trigger: Trigger,
    /// The output bindings.
    pub outputs: Vec<Output>,
}

/// A trigger binding.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// `httpTrigger`.
    Http {
        /// Binding name.
        binding: String,
        /// Route template (defaults to the function name).
        route: String,
        /// Upper-case methods; empty = all.
        methods: Vec<String>,
    },
    /// `timerTrigger`.
    Timer {
        /// Binding name.
        binding: String,
        /// The schedule.
        schedule: Schedule,
        /// Fire once when the host starts.
        run_on_startup: bool,
        /// Whether the schedule monitor is on (it decides `ScheduleStatus`).
        use_monitor: bool,
        /// The function's retry policy, if any.
        retry: Option<RetryPolicy>,
    },
    /// `serviceBusTrigger` on a queue.
    ServiceBus {
        /// Binding name.
        binding: String,
        /// The queue.
        queue: String,
    },
}

/// A function-level retry policy (`retry` in function.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first failure (-1 in the file = unbounded, capped here at 1000).
    pub max_retries: u32,
    /// The first delay.
    pub delay: Duration,
    /// The largest delay (equal to `delay` for `fixedDelay`).
    pub max_delay: Duration,
}

/// An output binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Binding name (`$return` reads `ReturnValue`).
    pub name: String,
    /// What it writes to.
    pub kind: OutputKind,
}

/// What an output binding writes to.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputKind {
    /// The HTTP response.
    Http,
    /// A Service Bus queue.
    ServiceBus {
        /// The queue.
        queue: String,
    },
    /// A blob, by path template (`container/name-with-{tokens}`).
    Blob {
        /// The path template.
        path: String,
    },
}

/// Reads `app_root/host.json`.
pub fn load_host_config(app_root: &Path) -> Result<HostConfig, DefinitionError> {
    let path = app_root.join("host.json");
    let host = read_json(&path)?;
    let extensions = host.get("extensions");
    let service_bus = extensions.and_then(|e| e.get("serviceBus"));
    let route_prefix = extensions
        .and_then(|e| e.get("http"))
        .and_then(|h| h.get("routePrefix"))
        .and_then(Value::as_str)
        .unwrap_or("api")
        .trim_matches('/')
        .to_owned();
    let max_concurrent_calls = service_bus
        .and_then(|s| s.get("maxConcurrentCalls"))
        .and_then(Value::as_u64)
        .map_or(16, |n| n.clamp(1, 1000) as usize);
    let max_lock_renewal = service_bus
        .and_then(|s| s.get("maxAutoLockRenewalDuration"))
        .and_then(Value::as_str)
        .map(|text| {
            parse_timespan(text)
                .ok_or_else(|| file_error(&path, format!("`{text}` is not a TimeSpan")))
        })
        .transpose()?
        .unwrap_or(Duration::from_secs(300));
    let function_timeout = host
        .get("functionTimeout")
        .and_then(Value::as_str)
        .map(|text| {
            parse_timespan(text).ok_or_else(|| {
                file_error(&path, format!("functionTimeout `{text}` is not a TimeSpan"))
            })
        })
        .transpose()?
        .unwrap_or(Duration::from_secs(30 * 60));
    Ok(HostConfig {
        route_prefix,
        max_concurrent_calls,
        max_lock_renewal,
        function_timeout,
    })
}

/// Reads every `<dir>/<Function>/function.json` under `functions_dir`, sorted by name.
pub fn load_functions(functions_dir: &Path) -> Result<Vec<FunctionDef>, DefinitionError> {
    let entries =
        std::fs::read_dir(functions_dir).map_err(|e| file_error(functions_dir, e.to_string()))?;
    let mut functions = Vec::new();
    for entry in entries {
        let dir = entry
            .map_err(|e| file_error(functions_dir, e.to_string()))?
            .path();
        let file = dir.join("function.json");
        if !file.is_file() {
            continue;
        }
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| file_error(&dir, "folder name is not UTF-8".into()))?
            .to_owned();
        functions.push(parse_function(&name, &read_json(&file)?)?);
    }
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(functions)
}

/// Where the function folders are: `functions/` in the source tree, the app root when packaged.
pub fn functions_dir(app_root: &Path) -> PathBuf {
    let source_layout = app_root.join("functions");
    if source_layout.is_dir() {
        source_layout
    } else {
        app_root.to_owned()
    }
}

fn parse_function(name: &str, json: &Value) -> Result<FunctionDef, DefinitionError> {
    let error = |reason: String| DefinitionError::Binding {
        function: name.to_owned(),
        reason,
    };
    let bindings = json
        .get("bindings")
        .and_then(Value::as_array)
        .ok_or_else(|| error("function.json has no `bindings` array".into()))?;
    let mut trigger = None;
    let mut outputs = Vec::new();
    for binding in bindings {
        let kind = text(binding, "type").ok_or_else(|| error("a binding has no `type`".into()))?;
        let binding_name = text(binding, "name")
            .ok_or_else(|| error(format!("the {kind} binding has no `name`")))?;
        let direction = text(binding, "direction").unwrap_or("in");
        match (kind, direction) {
            ("httpTrigger" | "timerTrigger" | "serviceBusTrigger", "in") => {
                if trigger.is_some() {
                    return Err(error("a function has exactly one trigger".into()));
                }
                trigger =
                    Some(parse_trigger(name, kind, binding_name, binding, json).map_err(error)?);
            }
            ("http", "out") => outputs.push(Output {
                name: binding_name.to_owned(),
                kind: OutputKind::Http,
            }),
            ("serviceBus", "out") => {
                let queue = text(binding, "queueName")
                    .ok_or_else(|| error(format!("serviceBus output `{binding_name}` needs a queueName (topics are not emulated)")))?;
                outputs.push(Output {
                    name: binding_name.to_owned(),
                    kind: OutputKind::ServiceBus {
                        queue: queue.to_owned(),
                    },
                });
            }
            ("blob", "out") => {
                let path = text(binding, "path")
                    .ok_or_else(|| error(format!("blob output `{binding_name}` needs a path")))?;
                outputs.push(Output {
                    name: binding_name.to_owned(),
                    kind: OutputKind::Blob {
                        path: path.to_owned(),
                    },
                });
            }
            (kind, direction) => {
                return Err(error(format!(
                    "binding `{binding_name}`: type `{kind}` with direction `{direction}` is not supported by the local host"
                )));
            }
        }
    }
    let trigger = trigger.ok_or_else(|| error("no trigger binding".into()))?;
    Ok(FunctionDef {
        name: name.to_owned(),
        trigger,
        outputs,
    })
}

fn parse_trigger(
    function: &str,
    kind: &str,
    binding: &str,
    json: &Value,
    function_json: &Value,
) -> Result<Trigger, String> {
    let binding_name = binding.to_owned();
    match kind {
        "httpTrigger" => Ok(Trigger::Http {
            binding: binding_name,
            route: text(json, "route")
                .unwrap_or(function)
                .trim_matches('/')
                .to_owned(),
            methods: json
                .get("methods")
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_ascii_uppercase)
                        .collect()
                })
                .unwrap_or_default(),
        }),
        "timerTrigger" => {
            let expression = text(json, "schedule").ok_or("the timer trigger has no schedule")?;
            let schedule =
                Schedule::parse(expression).map_err(|e| format!("schedule `{expression}`: {e}"))?;
            let use_monitor = json
                .get("useMonitor")
                .and_then(Value::as_bool)
                .unwrap_or_else(|| runs_at_most_once_a_minute(&schedule));
            Ok(Trigger::Timer {
                binding: binding_name,
                schedule,
                run_on_startup: json
                    .get("runOnStartup")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                use_monitor,
                retry: function_json.get("retry").map(parse_retry).transpose()?,
            })
        }
        "serviceBusTrigger" => {
            if json.get("topicName").is_some() {
                return Err("Service Bus topics are not emulated; use queueName".into());
            }
            if json.get("isSessionsEnabled").and_then(Value::as_bool) == Some(true) {
                return Err("Service Bus sessions are not emulated".into());
            }
            if text(json, "cardinality").is_some_and(|c| c.eq_ignore_ascii_case("many")) {
                return Err("cardinality `many` is not emulated".into());
            }
            let queue =
                text(json, "queueName").ok_or("the Service Bus trigger has no queueName")?;
            Ok(Trigger::ServiceBus {
                binding: binding_name,
                queue: queue.to_owned(),
            })
        }
        other => Err(format!("unknown trigger `{other}`")),
    }
}

/// The host turns the monitor on by default when occurrences are at least a minute apart.
fn runs_at_most_once_a_minute(schedule: &Schedule) -> bool {
    let start = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    match (
        schedule.next_after(start),
        schedule
            .next_after(start)
            .and_then(|t| schedule.next_after(t)),
    ) {
        (Some(a), Some(b)) => (b - a).num_seconds() >= 60,
        _ => true,
    }
}

fn parse_retry(json: &Value) -> Result<RetryPolicy, String> {
    let strategy = text(json, "strategy").ok_or("retry needs a strategy")?;
    let max = json
        .get("maxRetryCount")
        .and_then(Value::as_i64)
        .ok_or("retry needs maxRetryCount")?;
    let max_retries = if max < 0 { 1000 } else { max.min(1000) as u32 };
    let span = |key: &str| -> Result<Duration, String> {
        let raw = text(json, key).ok_or(format!("retry needs {key}"))?;
        parse_timespan(raw).ok_or(format!("retry {key} `{raw}` is not a TimeSpan"))
    };
    match strategy {
        "fixedDelay" => {
            let delay = span("delayInterval")?;
            Ok(RetryPolicy {
                max_retries,
                delay,
                max_delay: delay,
            })
        }
        "exponentialBackoff" => Ok(RetryPolicy {
            max_retries,
            delay: span("minimumInterval")?,
            max_delay: span("maximumInterval")?,
        }),
        other => Err(format!(
            "retry strategy `{other}` is not fixedDelay or exponentialBackoff"
        )),
    }
}

/// Parses a .NET TimeSpan `[d.]hh:mm:ss[.fff]`.
pub fn parse_timespan(text: &str) -> Option<Duration> {
    let (days, rest) = match text.split_once('.') {
        Some((d, rest)) if rest.contains(':') && !d.contains(':') => (d.parse::<u64>().ok()?, rest),
        _ => (0, text),
    };
    let mut parts = rest.split(':');
    let hours: u64 = parts.next()?.parse().ok()?;
    let minutes: u64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next().unwrap_or("0").parse().ok()?;
    if parts.next().is_some() || minutes > 59 || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    let whole = ((days * 24 + hours) * 60 + minutes) * 60;
    Some(Duration::from_secs(whole) + Duration::from_secs_f64(seconds))
}

fn text<'a>(json: &'a Value, key: &str) -> Option<&'a str> {
    json.get(key).and_then(Value::as_str)
}

fn read_json(path: &Path) -> Result<Value, DefinitionError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path, e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| file_error(path, e.to_string()))
}

fn file_error(path: &Path, reason: String) -> DefinitionError {
    DefinitionError::File {
        path: path.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_app_s_own_function_folders_all_parse() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let functions = load_functions(&functions_dir(root)).unwrap();
        assert!(functions.iter().any(|f| f.name == "Products"));
        let host = load_host_config(root).unwrap();
        assert_eq!(host.route_prefix, "api");
    }

    #[test]
    fn an_unknown_binding_is_a_start_up_error_naming_it() {
        let json = json!({"bindings": [
            {"type": "queueTrigger", "direction": "in", "name": "q", "queueName": "x"}]});
        let err = parse_function("F", &json).unwrap_err().to_string();
        assert!(err.contains("queueTrigger"), "{err}");
    }

    #[test]
    fn a_timer_gets_its_schedule_monitor_and_retry_policy() {
        let json = json!({"bindings": [
            {"type": "timerTrigger", "direction": "in", "name": "t", "schedule": "*/5 * * * * *"}],
            "retry": {"strategy": "fixedDelay", "maxRetryCount": 2, "delayInterval": "00:00:03"}});
        let def = parse_function("T", &json).unwrap();
        let Trigger::Timer {
            use_monitor, retry, ..
        } = def.trigger
        else {
            panic!("{def:?}")
        };
        assert!(
            !use_monitor,
            "every five seconds is more often than once a minute"
        );
        assert_eq!(retry.unwrap().delay, Duration::from_secs(3));
    }

    #[test]
    fn timespans_parse_as_dotnet_writes_them() {
        assert_eq!(parse_timespan("00:05:00"), Some(Duration::from_secs(300)));
        assert_eq!(
            parse_timespan("1.00:00:01"),
            Some(Duration::from_secs(86_401))
        );
        assert_eq!(
            parse_timespan("00:00:00.80"),
            Some(Duration::from_millis(800))
        );
        assert_eq!(parse_timespan("nonsense"), None);
    }
}
