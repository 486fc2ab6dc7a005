//! Classification throughput on a realistic mix and on the varied training corpus, and reply latency (mean from
//! criterion, p50/p99 printed).
//! Run: `cargo bench -p bot-core --bench classify`.

use bot_core::{ChatContext, Core, Platform};
use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group};
use std::hint::black_box;
use std::time::Instant;

/// The project's labelled corpus: crisis, overdose, meetings, principles, reminders, small talk and idioms.
fn messages() -> Vec<&'static str> {
    include_str!("../../tests/data/messages.tsv")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t').map(|(_, text)| text))
        .collect()
}

/// Every message of the training corpus (8,000 different ones): the rules' lazy DFAs meet new text all the
/// time, as they do in a real server, instead of a few hundred messages they have already seen.
fn varied() -> Vec<String> {
    let corpus = bot_core::corpus::Corpus::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/train"),
    )
    .expect("corpus/train is part of the repository");
    corpus.rows.into_iter().map(|row| row.text).collect()
}

fn context() -> ChatContext {
    ChatContext::new(
        Platform::Telegram,
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
    )
}

fn benches(c: &mut Criterion) {
    let bot = Core::embedded().unwrap();
    let mix = messages();
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(mix.len() as u64));
    group.bench_function("realistic mix", |b| {
        b.iter(|| {
            for m in &mix {
                black_box(bot.classify(black_box(m)));
            }
        })
    });
    let varied = varied();
    group.throughput(Throughput::Elements(varied.len() as u64));
    group.bench_function("varied corpus", |b| {
        b.iter(|| {
            for m in &varied {
                black_box(bot.classify(black_box(m)));
            }
        })
    });
    group.throughput(Throughput::Elements(mix.len() as u64));
    group.bench_function("model only", |b| {
        b.iter(|| {
            for m in &mix {
                black_box(bot.content().model.score(black_box(m)));
            }
        })
    });
    group.bench_function("normalise only", |b| {
        b.iter(|| {
            for m in &mix {
                black_box(bot.model_input(black_box(m)));
            }
        })
    });
    group.finish();

    let context = context();
    let mut group = c.benchmark_group("respond");
    for (name, text) in [
        ("crisis", "I want a meeting but honestly I'd rather be dead"),
        ("principle", "explain hope"),
        ("fallback", "what's the capital of France"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(bot.respond(black_box(text), &context)))
        });
    }
    group.finish();
}

/// p50 / p99 / max of `respond` over the whole mix, 200 rounds.
fn latency_percentiles() {
    let bot = Core::embedded().unwrap();
    let context = context();
    let mix = messages();
    let mut samples = Vec::with_capacity(mix.len() * 200);
    for _ in 0..200 {
        for m in &mix {
            let start = Instant::now();
            black_box(bot.respond(black_box(m), &context));
            samples.push(start.elapsed().as_nanos() as u64);
        }
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    println!(
        "respond latency over {} calls: p50 {:.2} us, p99 {:.2} us, max {:.2} us",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

criterion_group!(classify_benches, benches);

fn main() {
    latency_percentiles();
    classify_benches();
    Criterion::default().configure_from_args().final_summary();
}
