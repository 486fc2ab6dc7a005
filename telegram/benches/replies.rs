//! Replies per second through the adapter, and the latency it adds to one reply, against the fake Bot
//! API on 127.0.0.1 with teloxide's rate limiter off (Telegram's real limit is about 30 messages a second
//! overall, so this measures what the bot costs, not what Telegram allows).
//!
//! `cargo bench -p telegram --bench replies`
//!
//! - `throughput`: a burst of updates across 256 chats (a realistic mix of crisis, meeting, principle,
//!   help and small-talk messages) is pushed to the fake; time until every reply has arrived.
//! - `added_latency`: one update at a time; from the moment getUpdates hands the update to the adapter
//!   to the moment its sendMessage reaches the fake (parse, dispatch, the core's answer, rendering, one
//!   HTTP request over loopback).

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};

const MESSAGES: [&str; 6] = [
    "I want to kill myself",
    "find a meeting tonight",
    "explain the hope principle",
    "/help",
    "hello there",
    "my friend took too many pills and won't wake up",
];

fn replies(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let run = runtime.block_on(async {
        let fake = support::FakeApi::start().await;
        let config = support::config(&fake, false);
        support::start_responding(fake, config, support::TestResponder::quiet()).await
    });
    run.fake.quiet();
    let mut counter: u64 = 0;

    let mut group = c.benchmark_group("telegram");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));

    group.bench_function("throughput", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let target = run.fake.sent_total() + iters;
                let started = Instant::now();
                for _ in 0..iters {
                    counter += 1;
                    let chat = 10_000 + (counter % 256) as i64;
                    let text = MESSAGES[(counter % MESSAGES.len() as u64) as usize];
                    run.fake.push(support::dm(chat, text));
                }
                run.fake.wait_for_total(target).await;
                started.elapsed()
            })
        });
    });

    let mut latencies = Vec::new();
    group.bench_function("added_latency", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    counter += 1;
                    let text = MESSAGES[(counter % MESSAGES.len() as u64) as usize];
                    let target = run.fake.sent_total() + 1;
                    let id = run.fake.push(support::dm(20_000, text));
                    run.fake.wait_for_total(target).await;
                    let delivered = run.fake.delivered_at(id).expect("delivered");
                    let sent = run.fake.last_sent_at().expect("sent");
                    let added = sent.duration_since(delivered);
                    latencies.push(added);
                    total += added;
                }
                run.fake.forget_deliveries();
                total
            })
        });
    });
    group.finish();

    latencies.sort();
    if !latencies.is_empty() {
        let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
        eprintln!(
            "added latency over {} replies: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
            latencies.len(),
            at(0.5),
            at(0.9),
            at(0.99),
            latencies[latencies.len() - 1]
        );
    }
    runtime.block_on(async { run.stop().await.expect("clean stop") });
}

criterion_group!(benches, replies);
criterion_main!(benches);
