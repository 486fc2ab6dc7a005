//! A small [`metrics::Recorder`] that keeps counters, gauges and histograms in memory and writes them in
//! Prometheus' text format (version 0.0.4) for `GET /metrics`.
//!
//! Written here rather than taken from `metrics-exporter-prometheus`: that crate, even without its default
//! features, brings about fifteen more crates (`metrics-util`, `quanta`, `evmap`, a second `rand` and
//! `hashbrown`, ...) for summaries, idle-metric expiry and push gateways the bot does not use. Counters and
//! gauges are atomics; a histogram has fixed buckets.

use metrics::{
    Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Bucket bounds for histograms of seconds (replies take milliseconds; sends through retries, seconds).
pub const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// The recorder; clones share the same metrics.
#[derive(Clone, Default)]
pub struct TextRecorder {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    series: Mutex<HashMap<Key, Series>>,
    help: Mutex<HashMap<String, String>>,
}

#[derive(Clone)]
enum Series {
    Counter(Arc<AtomicU64>),
    /// The value's bits (`f64::to_bits`).
    Gauge(Arc<AtomicU64>),
    Histogram(Arc<Buckets>),
}

impl Series {
    fn kind(&self) -> &'static str {
        match self {
            Series::Counter(_) => "counter",
            Series::Gauge(_) => "gauge",
            Series::Histogram(_) => "histogram",
        }
    }
}

/// A histogram: how many values fell at or under each bound, their count and their sum.
struct Buckets {
    bounds: &'static [f64],
    state: Mutex<BucketState>,
}

#[derive(Default)]
struct BucketState {
    counts: Vec<u64>,
    count: u64,
    sum: f64,
}

impl HistogramFn for Buckets {
    fn record(&self, value: f64) {
        if value.is_nan() {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.counts.len() != self.bounds.len() {
            state.counts = vec![0; self.bounds.len()];
        }
        if let Some(i) = self.bounds.iter().position(|&bound| value <= bound) {
            state.counts[i] += 1;
        }
        state.count += 1;
        state.sum += value;
    }
}

impl TextRecorder {
    fn series(&self) -> MutexGuard<'_, HashMap<Key, Series>> {
        self.inner.series.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The series under `key`, made by `make` the first time. A name first used as another kind keeps its
    /// kind; the later use goes nowhere (a mistake in the code, not in the data).
    fn register(&self, key: &Key, make: impl FnOnce() -> Series) -> Series {
        let mut series = self.series();
        if let Some(existing) = series.get(key) {
            return existing.clone();
        }
        let made = make();
        let clash = series
            .iter()
            .find(|(k, _)| k.name() == key.name())
            .is_some_and(|(_, s)| s.kind() != made.kind());
        if !clash {
            series.insert(key.to_retained(), made.clone());
        }
        made
    }

    fn describe(&self, key: KeyName, description: SharedString) {
        self.inner
            .help
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.as_str().to_owned(), description.into_owned());
    }

    /// The current value of the gauge `name` without labels, if it was ever set.
    pub fn gauge_value(&self, name: &'static str) -> Option<f64> {
        match self.series().get(&Key::from_static_name(name)) {
            Some(Series::Gauge(bits)) => Some(f64::from_bits(bits.load(Ordering::Acquire))),
            _ => None,
        }
    }

    /// Every metric in Prometheus' text format, families and series in a stable order.
    pub fn render(&self) -> String {
        let mut families: Vec<(String, Vec<(Labels, Series)>)> = Vec::new();
        {
            let series = self.series();
            let mut sorted: Vec<(&Key, &Series)> = series.iter().collect();
            sorted.sort_by_cached_key(|(key, _)| (key.name().to_owned(), labels(key)));
            for (key, series) in sorted {
                match families.last_mut() {
                    Some((name, members)) if name == key.name() => {
                        members.push((labels(key), series.clone()))
                    }
                    _ => {
                        families.push((key.name().to_owned(), vec![(labels(key), series.clone())]))
                    }
                }
            }
        }
        let help = self.inner.help.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        for (name, members) in families {
            if let Some(text) = help.get(&name) {
                let text = text.replace('\\', "\\\\").replace('\n', "\\n");
                let _ = writeln!(out, "# HELP {name} {text}");
            }
            let _ = writeln!(out, "# TYPE {name} {}", members[0].1.kind());
            for (labels, series) in members {
                match series {
                    Series::Counter(value) => {
                        let _ = writeln!(
                            out,
                            "{name}{} {}",
                            label_text(&labels, None),
                            value.load(Ordering::Acquire)
                        );
                    }
                    Series::Gauge(bits) => {
                        let value = f64::from_bits(bits.load(Ordering::Acquire));
                        let _ =
                            writeln!(out, "{name}{} {}", label_text(&labels, None), number(value));
                    }
                    Series::Histogram(buckets) => {
                        let state = buckets.state.lock().unwrap_or_else(|e| e.into_inner());
                        let mut cumulative = 0;
                        for (i, bound) in buckets.bounds.iter().enumerate() {
                            cumulative += state.counts.get(i).copied().unwrap_or(0);
                            let le = number(*bound);
                            let _ = writeln!(
                                out,
                                "{name}_bucket{} {cumulative}",
                                label_text(&labels, Some(&le))
                            );
                        }
                        let _ = writeln!(
                            out,
                            "{name}_bucket{} {}",
                            label_text(&labels, Some("+Inf")),
                            state.count
                        );
                        let plain = label_text(&labels, None);
                        let _ = writeln!(out, "{name}_sum{plain} {}", number(state.sum));
                        let _ = writeln!(out, "{name}_count{plain} {}", state.count);
                    }
                }
            }
        }
        out
    }
}

/// A series' labels, names and values, in the order they were given.
type Labels = Vec<(String, String)>;

fn labels(key: &Key) -> Labels {
    key.labels()
        .map(|l| (l.key().to_owned(), l.value().to_owned()))
        .collect()
}

/// `{a="x",b="y"}` (with `le` last for a bucket), or nothing without labels.
fn label_text(labels: &[(String, String)], le: Option<&str>) -> String {
    let mut pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some(le) = le {
        pairs.push(format!("le=\"{le}\""));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", pairs.join(","))
    }
}

/// A label value: backslash, double quote and line feed escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample value as Prometheus writes it (`+Inf`, `-Inf`, `NaN`).
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value == f64::INFINITY {
        "+Inf".into()
    } else if value == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        value.to_string()
    }
}

impl Recorder for TextRecorder {
    fn describe_counter(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.describe(key, description);
    }

    fn describe_gauge(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.describe(key, description);
    }

    fn describe_histogram(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.describe(key, description);
    }

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> Counter {
        match self.register(key, || Series::Counter(Arc::default())) {
            Series::Counter(value) => Counter::from_arc(value),
            _ => Counter::noop(),
        }
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> Gauge {
        match self.register(key, || Series::Gauge(Arc::default())) {
            Series::Gauge(value) => Gauge::from_arc(value),
            _ => Gauge::noop(),
        }
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> Histogram {
        let make = || {
            Series::Histogram(Arc::new(Buckets {
                bounds: SECONDS_BUCKETS,
                state: Mutex::default(),
            }))
        };
        match self.register(key, make) {
            Series::Histogram(buckets) => Histogram::from_arc(buckets),
            _ => Histogram::noop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_gauges_and_histograms_are_written_in_the_text_format() {
        let recorder = TextRecorder::default();
        metrics::with_local_recorder(&recorder, || {
            metrics::describe_counter!("demo_total", "Things done.");
            metrics::counter!("demo_total", "platform" => "telegram", "intent" => "crisis")
                .increment(2);
            metrics::counter!("demo_total", "platform" => "telegram", "intent" => "crisis")
                .increment(1);
            metrics::counter!("demo_total", "platform" => "discord", "intent" => "other")
                .increment(1);
            metrics::gauge!("demo_bytes").set(1024.0);
            metrics::histogram!("demo_seconds", "platform" => "telegram").record(0.003);
            metrics::histogram!("demo_seconds", "platform" => "telegram").record(0.2);
            metrics::histogram!("demo_seconds", "platform" => "telegram").record(500.0);
        });
        let text = recorder.render();
        for line in [
            "# HELP demo_total Things done.",
            "# TYPE demo_total counter",
            r#"demo_total{platform="telegram",intent="crisis"} 3"#,
            r#"demo_total{platform="discord",intent="other"} 1"#,
            "# TYPE demo_bytes gauge",
            "demo_bytes 1024",
            "# TYPE demo_seconds histogram",
            r#"demo_seconds_bucket{platform="telegram",le="0.0025"} 0"#,
            r#"demo_seconds_bucket{platform="telegram",le="0.005"} 1"#,
            r#"demo_seconds_bucket{platform="telegram",le="0.25"} 2"#,
            r#"demo_seconds_bucket{platform="telegram",le="120"} 2"#,
            r#"demo_seconds_bucket{platform="telegram",le="+Inf"} 3"#,
            r#"demo_seconds_count{platform="telegram"} 3"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line:?} missing from\n{text}"
            );
        }
        let sum = text
            .lines()
            .find_map(|l| l.strip_prefix(r#"demo_seconds_sum{platform="telegram"} "#))
            .expect("a sum");
        assert!(
            (sum.parse::<f64>().unwrap() - 500.203).abs() < 1e-9,
            "{sum}"
        );
        assert_eq!(recorder.gauge_value("demo_bytes"), Some(1024.0));
        assert_eq!(text.matches("# TYPE demo_total").count(), 1, "{text}");
    }

    #[test]
    fn label_values_are_escaped_and_a_name_keeps_its_first_kind() {
        let recorder = TextRecorder::default();
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("odd_total", "why" => "a \"quoted\"\nline\\").increment(1);
            metrics::gauge!("odd_total").set(5.0);
        });
        let text = recorder.render();
        assert!(
            text.contains(r#"odd_total{why="a \"quoted\"\nline\\"} 1"#),
            "{text}"
        );
        assert!(!text.contains("gauge"), "{text}");
    }
}
