//! The command line: `chat`, `ask`, `classify` and the rest. `ask` and `classify` are the interface the evaluation
//! uses: keep their output stable.

use anyhow::{Context as _, Result};
use bot_core::corpus::Corpus;
use bot_core::{ChatContext, Core, Platform, Reply};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::io::{BufRead, Write};
use std::path::PathBuf;

/// A recovery-support chat bot: crisis help, overdose safety, meetings and recovery principles.
#[derive(Debug, Parser)]
#[command(name = "recovery-bot", version, about)]
pub struct Cli {
    /// Load the content (rules and answers) from this folder instead of the built-in copy of `intents/`.
    #[arg(long, global = true, env = "RECOVERY_BOT_CONTENT", value_name = "DIR")]
    pub content: Option<PathBuf>,

    /// Log more (to stderr; never what anyone typed).
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// The configuration file (default: recovery-bot.toml in the working directory, if there is one).
    #[arg(long, global = true, env = "RECOVERY_BOT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where people are assumed to be until they say (ISO code such as GB, MX): crisis replies give that
    /// country's lines. Overrides the configuration's `default_country`; the US when neither is set.
    #[arg(long, global = true, env = "RECOVERY_BOT_COUNTRY", value_name = "CC", value_parser = parse_country)]
    pub country: Option<bot_core::CountryCode>,

    /// Answer in this language (en, es) whatever people write in, until they choose another with /language.
    /// Overrides the configuration's `default_language`; unset, each message's own language.
    #[arg(long, global = true, env = "RECOVERY_BOT_LANG", value_name = "LL", value_parser = parse_language)]
    pub lang: Option<bot_core::language::Language>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chat with the bot in the terminal (the default when no platform token is set).
    Chat,
    /// Run every platform that has a token (TELOXIDE_TOKEN, DISCORD_TOKEN), the daily reminders and the
    /// meeting feeds, until SIGINT or SIGTERM (the default when a token is set).
    Serve(ServeArgs),
    /// Answer one message and exit.
    Ask(AskArgs),
    /// Read one message per line on stdin; write one JSON object per line: {"intent", "urgent"}.
    Classify,
    /// Meeting feeds.
    #[command(subcommand)]
    Meetings(MeetingsCommand),
    /// Train the model from the corpus and write its weights (deterministic: same corpus, same bytes).
    Train(TrainArgs),
    /// Measure rules, model and both on a labelled split (default: the frozen test part).
    Evaluate(EvaluateArgs),
    /// The configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Ask a running `serve` whether it is healthy (its /healthz); exit 0 when it is.
    Health(HealthArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Read the configuration file and environment as `serve` would, check them and print what would run,
    /// without connecting to anything. Fails when `serve` would not run as configured. Never prints tokens.
    Check,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The /healthz URL (default: from `[metrics] listen` or RECOVERY_BOT_METRICS_LISTEN).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The training part of the corpus.
    #[arg(long, default_value = "corpus/train", value_name = "DIR")]
    pub corpus: PathBuf,
    /// Where to write the weights.
    #[arg(long, default_value = "intents/model.bin", value_name = "FILE")]
    pub out: PathBuf,
    /// Cross-validate only: print the figures, write nothing (for trying settings).
    #[arg(long)]
    pub dry_run: bool,
    /// Passes over the corpus.
    #[arg(long, default_value_t = bot_core::train::Options::default().epochs)]
    pub epochs: u32,
    /// AdaGrad's step size.
    #[arg(long, default_value_t = bot_core::train::Options::default().learning_rate)]
    pub learning_rate: f32,
    /// L2 decay.
    #[arg(long, default_value_t = bot_core::train::Options::default().l2)]
    pub l2: f32,
    /// Crisis recall that rules-or-model keeps in cross-validation; the crisis threshold is the highest that
    /// keeps it.
    #[arg(long, default_value_t = bot_core::train::Options::default().crisis_recall)]
    pub crisis_recall: f64,
    /// The feature table has 2^N rows.
    #[arg(long, default_value_t = bot_core::train::Options::default().bucket_bits)]
    pub bucket_bits: u32,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A labelled split that the model was not trained on.
    #[arg(long, default_value = "corpus/test", value_name = "DIR")]
    pub corpus: PathBuf,
    /// Also list every crisis or overdose-now row the bot got wrong, with its text.
    #[arg(long)]
    pub misses: bool,
}

/// `recovery-bot train`: cross-validates the thresholds, trains on the whole part and writes the weights.
pub fn train(bot: &Core, args: &TrainArgs) -> Result<()> {
    let corpus = Corpus::load(&args.corpus).context("reading the corpus")?;
    let options = bot_core::train::Options {
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        l2: args.l2,
        bucket_bits: args.bucket_bits,
        crisis_recall: args.crisis_recall,
        ..bot_core::train::Options::default()
    };
    let trained = bot_core::train::train(
        bot,
        &corpus,
        &options,
        &format!(
            "recovery-bot train --corpus {} ({} rows, {} folds, 2^{} buckets, {} epochs)",
            args.corpus.display(),
            corpus.rows.len(),
            options.folds,
            options.bucket_bits,
            options.epochs
        ),
    );
    if args.dry_run {
        print!("{}", trained.cross_validation.table());
        return Ok(());
    }
    std::fs::write(&args.out, trained.model.to_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{} rows, corpus {}; cross-validation on the training part:\n{}wrote {}",
        corpus.rows.len(),
        corpus.fingerprint(),
        trained.cross_validation.table(),
        args.out.display()
    );
    Ok(())
}

/// `recovery-bot evaluate`: the figures of rules alone, model alone and both, by language.
pub fn evaluate(bot: &Core, args: &EvaluateArgs) -> Result<()> {
    let corpus = Corpus::load(&args.corpus).context("reading the corpus")?;
    let figures = bot_core::train::Figures::evaluate(bot, &corpus);
    print!(
        "{} rows of {}\n{}",
        corpus.rows.len(),
        args.corpus.display(),
        figures.table()
    );
    if args.misses {
        for miss in &figures.misses {
            println!("{miss}");
        }
    }
    Ok(())
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Telegram webhook mode: the public HTTPS URL Telegram posts updates to (long polling without it).
    #[arg(long, value_name = "URL", requires = "listen")]
    pub webhook_url: Option<String>,
    /// The local address the webhook server listens on, such as 0.0.0.0:8443.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
}

impl ServeArgs {
    /// The Telegram webhook, when asked for.
    pub fn webhook(&self) -> Result<Option<telegram::Webhook>> {
        let (Some(url), Some(listen)) = (&self.webhook_url, self.listen) else {
            return Ok(None);
        };
        let webhook = telegram::Webhook::new(url, listen).context("--webhook-url")?;
        Ok(Some(webhook))
    }
}

#[derive(Debug, Subcommand)]
pub enum MeetingsCommand {
    /// Load each feed and print how many meetings were loaded and skipped, and why.
    Check {
        #[command(flatten)]
        feeds: FeedArgs,
        /// Feed files (Meeting Guide JSON or BMLT GetSearchResults JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// What to assume about feeds that do not say it themselves.
#[derive(Debug, Args, Clone, Default)]
pub struct FeedArgs {
    /// Time zone of meetings that name none (default: guessed from the feed's addresses).
    #[arg(long, value_name = "IANA_ZONE")]
    pub feed_timezone: Option<String>,
    /// The feeds' fellowship: aa, na, ... (default: AA for Meeting Guide feeds, NA for BMLT).
    #[arg(long, value_name = "NAME")]
    pub feed_fellowship: Option<String>,
}

impl FeedArgs {
    pub fn defaults(&self) -> Result<crate::feeds::FeedDefaults> {
        Ok(crate::feeds::FeedDefaults {
            timezone: self
                .feed_timezone
                .as_deref()
                .map(crate::feeds::parse_timezone)
                .transpose()?,
            fellowship: self
                .feed_fellowship
                .as_deref()
                .map(crate::feeds::parse_fellowship)
                .transpose()?,
        })
    }
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// Print one JSON object: intent, urgent, text, blocks, follow_ups (and explanation with --explain).
    #[arg(long)]
    pub json: bool,
    /// Show which intent, rule, content entries and sources produced the answer.
    #[arg(long)]
    pub explain: bool,
    /// A meeting feed file to search (repeatable).
    #[arg(long = "meetings", value_name = "FEED")]
    pub meetings: Vec<PathBuf>,
    #[command(flatten)]
    pub feeds: FeedArgs,
    /// Answer as if it were this moment (RFC 3339, e.g. 2026-11-24T18:30:00-08:00); default: now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    /// The person's time zone: meeting times are shown in it too.
    #[arg(long, value_name = "IANA_ZONE")]
    pub zone: Option<String>,
    /// The person's location, as a shared map pin: meetings nearest first.
    #[arg(long, value_name = "LAT,LON", value_parser = parse_coordinates)]
    pub near: Option<bot_core::Coordinates>,
    /// The message.
    #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub text: Vec<String>,
}

fn parse_country(text: &str) -> Result<bot_core::CountryCode, String> {
    bot_core::CountryCode::parse(text.trim())
        .ok_or_else(|| "use a two-letter ISO code, such as GB or MX".to_string())
}

fn parse_language(text: &str) -> Result<bot_core::language::Language, String> {
    bot_core::language::Language::from_code(&text.trim().to_ascii_lowercase())
        .ok_or_else(|| "use en or es".to_string())
}

fn parse_now(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e}: use RFC 3339, such as 2026-11-24T18:30:00-08:00"))
}

fn parse_coordinates(text: &str) -> Result<bot_core::Coordinates, String> {
    let (lat, lon) = text
        .split_once(',')
        .ok_or("use LAT,LON, such as 33.68,-117.83")?;
    let parse = |v: &str| v.trim().parse::<f64>().map_err(|e| e.to_string());
    bot_core::Coordinates::new(parse(lat)?, parse(lon)?)
        .ok_or_else(|| "latitude or longitude out of range".to_string())
}

/// The JSON form of a reply.
#[derive(Serialize)]
struct AskOutput<'a> {
    intent: bot_core::Intent,
    urgent: bool,
    /// The country whose lines a crisis reply gives (`US` unless known otherwise).
    country: String,
    /// The language of the answer (`en`, `es`).
    lang: bot_core::language::Language,
    text: String,
    blocks: &'a [bot_core::Block],
    follow_ups: &'a [bot_core::FollowUp],
    /// Present when feeds were given: the meetings listed, `{slug, name, day, time, timezone, online,
    /// in_person, distance_km}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    meetings: Option<&'a [meetings::HitSummary]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<&'a bot_core::Explanation>,
    /// With `--explain`: the model's probabilities and the features that weighed most.
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<bot_core::ModelView>,
}

pub fn ask(bot: &Core, args: &AskArgs, defaults: crate::app::Defaults) -> Result<()> {
    let text = args.text.join(" ");
    let zone = args
        .zone
        .as_deref()
        .map(crate::feeds::parse_timezone)
        .transpose()?;
    let mut context = ChatContext::at(Platform::Terminal, args.now.unwrap_or_else(Utc::now), zone);
    if args.now.is_none() && zone.is_none() {
        context.today = chrono::Local::now().date_naive();
    }
    context.location = args.near;
    context.country = defaults.country;
    context.language = defaults.language;
    if !args.meetings.is_empty() {
        let catalog = crate::feeds::load_catalog(&args.meetings, args.feeds.defaults()?)?;
        context = context.with_meetings(std::sync::Arc::new(catalog));
    }
    let understood = bot.understand(&text, &context);
    let country = understood.country.or(context.country);
    let reply = understood.reply;
    let mut out = std::io::stdout().lock();
    if args.json {
        let output = AskOutput {
            intent: reply.intent,
            urgent: reply.urgent,
            country: country.map_or_else(|| "US".to_string(), |c| c.to_string()),
            lang: reply.language,
            text: reply.plain_text(),
            blocks: &reply.blocks,
            follow_ups: &reply.follow_ups,
            meetings: (!args.meetings.is_empty()).then_some(reply.meetings.as_slice()),
            explanation: args.explain.then_some(&reply.explanation),
            model: args.explain.then(|| bot.explain_model(&text)),
        };
        serde_json::to_writer(&mut out, &output)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", render_terminal(&reply))?;
        if args.explain {
            writeln!(out, "\n{}", render_explanation(&reply))?;
            writeln!(out, "{}", render_model_view(&bot.explain_model(&text)))?;
        }
    }
    Ok(())
}

/// A reply for the terminal: plain text, then numbered follow-ups.
pub fn render_terminal(reply: &Reply) -> String {
    let mut text = reply.plain_text();
    if !reply.follow_ups.is_empty() {
        text.push('\n');
        for (i, follow_up) in reply.follow_ups.iter().enumerate() {
            text.push_str(&format!("\n  [{}] {}", i + 1, follow_up.label));
        }
    }
    text
}

/// Why a reply was given: intent, rule, entries and sources.
pub fn render_explanation(reply: &Reply) -> String {
    let e = &reply.explanation;
    let mut text = format!(
        "intent: {}{}\nrule: {}\nentries: {}\nsources:",
        e.intent,
        if reply.urgent { " (urgent)" } else { "" },
        e.rule,
        e.entries.join(", ")
    );
    for source in &e.sources {
        text.push_str(&format!(
            "\n  {} - {} ({})",
            source.id, source.title, source.file
        ));
    }
    text
}

/// The model's probabilities and the features that weighed most, for `ask --explain`.
pub fn render_model_view(view: &bot_core::ModelView) -> String {
    let mut text = String::from("model:");
    for (label, p) in &view.probabilities {
        text.push_str(&format!(" {label} {p:.2}"));
    }
    text.push_str(&format!(
        "\n  thresholds: crisis {:.2}, overdose-now {:.2}\n  weighing most for {}:",
        view.thresholds.crisis, view.thresholds.overdose_now, view.leading
    ));
    for (feature, weight) in &view.top_features {
        text.push_str(&format!("\n    {feature} {weight:+.3}"));
    }
    text
}

/// Streams: one line in, one JSON line out, flushed whenever no more input is waiting, so it works both
/// interactively and over millions of lines. Bytes that are not UTF-8 are read as replacement characters.
pub fn classify(bot: &Core) -> Result<()> {
    let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("reading stdin")?
            == 0
        {
            break;
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        let text = String::from_utf8_lossy(&line);
        let c = bot.classify(&text);
        writeln!(out, r#"{{"intent":"{}","urgent":{}}}"#, c.intent, c.urgent)?;
        if input.buffer().is_empty() {
            out.flush()?;
        }
    }
    out.flush()?;
    Ok(())
}
