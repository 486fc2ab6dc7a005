//! The terminal chat: the same core the platforms use, one message per line.

use anyhow::Result;
use bot_core::Bot;
use std::io::{BufRead, Write};

use crate::cli::{render_terminal, terminal_context};

pub fn run(bot: &Bot) -> Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Recovery support bot (terminal chat). I'm an automated bot, not a person.\n\
         If you are in crisis, call or text 988 (US), or 911 if life is in danger now.\n\
         Type a message, a number to pick a suggestion, or /quit to leave.\n"
    )?;
    let mut context = terminal_context();
    let mut follow_ups: Vec<bot_core::FollowUp> = Vec::new();
    for line in stdin.lock().lines() {
        let line = line?;
        let trimmed = line.trim();
        if matches!(trimmed, "/quit" | "/exit") {
            break;
        }
        // A number picks a suggested follow-up from the previous reply.
        let text = match trimmed.parse::<usize>() {
            Ok(n) if (1..=follow_ups.len()).contains(&n) => follow_ups[n - 1].message.clone(),
            _ => line,
        };
        let started = std::time::Instant::now();
        let reply = bot.respond(&text, &context);
        tracing::info!(
            intent = %reply.intent,
            urgent = reply.urgent,
            rule = %reply.explanation.rule,
            micros = started.elapsed().as_micros() as u64,
            "replied"
        );
        writeln!(out, "\n{}\n", render_terminal(&reply))?;
        out.flush()?;
        context.remember(&reply);
        follow_ups = reply.follow_ups;
    }
    Ok(())
}
