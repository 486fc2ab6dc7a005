//! The command line: `chat`, `ask` and `classify`. `ask` and `classify` are the interface the evaluation
//! uses: keep their output stable.

use anyhow::{Context as _, Result};
use bot_core::{Bot, Context, Platform, Reply};
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

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chat with the bot in the terminal (the default).
    Chat,
    /// Answer one message and exit.
    Ask(AskArgs),
    /// Read one message per line on stdin; write one JSON object per line: {"intent", "urgent"}.
    Classify,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// Print one JSON object: intent, urgent, text, blocks, follow_ups (and explanation with --explain).
    #[arg(long)]
    pub json: bool,
    /// Show which intent, rule, content entries and sources produced the answer.
    #[arg(long)]
    pub explain: bool,
    /// The message.
    #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub text: Vec<String>,
}

/// The JSON form of a reply.
#[derive(Serialize)]
struct AskOutput<'a> {
    intent: bot_core::Intent,
    urgent: bool,
    text: String,
    blocks: &'a [bot_core::Block],
    follow_ups: &'a [bot_core::FollowUp],
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<&'a bot_core::Explanation>,
}

/// Today's date on this machine: picks the principle of the day.
pub fn terminal_context() -> Context {
    Context::new(Platform::Terminal, chrono::Local::now().date_naive())
}

pub fn ask(bot: &Bot, args: &AskArgs) -> Result<()> {
    let text = args.text.join(" ");
    let reply = bot.respond(&text, &terminal_context());
    let mut out = std::io::stdout().lock();
    if args.json {
        let output = AskOutput {
            intent: reply.intent,
            urgent: reply.urgent,
            text: reply.plain_text(),
            blocks: &reply.blocks,
            follow_ups: &reply.follow_ups,
            explanation: args.explain.then_some(&reply.explanation),
        };
        serde_json::to_writer(&mut out, &output)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", render_terminal(&reply))?;
        if args.explain {
            writeln!(out, "\n{}", render_explanation(&reply))?;
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

/// Streams: one line in, one JSON line out, flushed whenever no more input is waiting, so it works both
/// interactively and over millions of lines. Bytes that are not UTF-8 are read as replacement characters.
pub fn classify(bot: &Bot) -> Result<()> {
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
