//! Slash commands (poise): the menu's commands, sent to the core as text (`/meeting tonight women online
//! near Tustin`), and `/setup` for crisis watch. Also the poise framework itself: options, setup
//! (command registration that never blocks the bot), and an error handler that logs no text.

use bot_core::language::Language;
use bot_core::{ChatMessage, Intent, Menu, Notice, Patience};
use poise::serenity_prelude as serenity;

use crate::config::DiscordConfig;
use crate::markdown::truncate;
use crate::settings::WatchSettings;
use crate::{Ctx, Data, Error, error, events, person, render, send};

/// Discord's limit for a command description.
const DESCRIPTION_LIMIT: usize = 100;
/// Autocomplete answers at most this many choices.
const CHOICES: usize = 25;

/// The poise framework for `shared`.
pub fn framework(config: &DiscordConfig, shared: Data) -> poise::Framework<Data, Error> {
    let commands = commands(&shared.menu);
    let options = poise::FrameworkOptions {
        commands,
        on_error: |e| Box::pin(on_error(e)),
        event_handler: events::handle,
        // Never ping anyone because of what someone typed.
        allowed_mentions: Some(serenity::CreateAllowedMentions::new()),
        prefix_options: poise::PrefixFrameworkOptions {
            prefix: None,
            // On: poise logs the text of every mention that is not a command.
            mention_as_prefix: false,
            ..Default::default()
        },
        initialize_owners: false,
        ..Default::default()
    };
    let dev_guild = config
        .dev_guild
        .and_then(std::num::NonZeroU64::new)
        .map(serenity::GuildId::from);
    let registers = config.registers_commands();
    poise::Framework::new(options, move |ctx, _ready, framework| {
        Box::pin(async move {
            // poise drops every event until this returns Ok, so a failed registration is logged, not fatal.
            if registers {
                register(ctx, &framework.options().commands, dev_guild).await;
            }
            Ok(shared)
        })
    })
}

async fn register(
    ctx: &serenity::Context,
    commands: &[poise::Command<Data, Error>],
    dev_guild: Option<serenity::GuildId>,
) {
    let outcome = match dev_guild {
        Some(guild) => poise::builtins::register_in_guild(ctx, commands, guild).await,
        None => poise::builtins::register_globally(ctx, commands).await,
    };
    match outcome {
        Ok(()) => tracing::info!(
            commands = commands.len(),
            guild = dev_guild.map(|g| g.get()),
            "slash commands registered"
        ),
        Err(e) => tracing::error!(
            error = %error::describe(&e),
            "registering slash commands failed: direct messages and mentions still work"
        ),
    }
}

/// The menu's commands with their descriptions, then `/setup`.
pub fn commands(menu: &Menu) -> Vec<poise::Command<Data, Error>> {
    let mut out: Vec<poise::Command<Data, Error>> = Vec::new();
    for entry in &menu.commands {
        let taken = entry.name == "setup" || out.iter().any(|c| c.name == entry.name);
        if !valid_name(&entry.name) || taken {
            tracing::warn!("a menu command's name is not valid on Discord or is taken; left out");
            continue;
        }
        let mut command = match entry.name.as_str() {
            "meeting" => meeting(),
            "principle" => principle(),
            "remind" => remind(),
            _ => simple(),
        };
        command.name = entry.name.clone();
        command.description = Some(truncate(&entry.description, DESCRIPTION_LIMIT));
        for (language, description) in &entry.descriptions {
            for locale in discord_locales(*language) {
                command
                    .description_localizations
                    .insert(locale.to_string(), truncate(description, DESCRIPTION_LIMIT));
            }
        }
        out.push(command);
    }
    out.push(setup());
    out
}

/// What an interaction's locale (`en-GB`, `es-ES`, `es-419`) says of the person: their language, and their
/// country when the locale names one.
pub(crate) fn with_locale(mut message: ChatMessage, locale: Option<&str>) -> ChatMessage {
    if let Some(locale) = locale {
        message.language_hint = Language::from_tag(locale);
        message.country_hint = bot_core::CountryCode::from_locale(locale);
    }
    message
}

/// Discord's locales for a language (it has no plain `es`).
fn discord_locales(language: Language) -> &'static [&'static str] {
    match language {
        Language::English => &["en-US", "en-GB"],
        Language::Spanish => &["es-ES", "es-419"],
    }
}

/// Discord command names: 1–32 lower-case letters, digits, `-` or `_`.
fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c == '-' || c == '_' || c.is_ascii_digit() || c.is_lowercase())
}

/// One line of words from an option (no line breaks, no runs of spaces).
fn words(option: &str) -> String {
    option.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `/name` followed by the non-empty words.
pub fn command_text<'a>(name: &str, parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut text = format!("/{name}");
    for part in parts.into_iter().flatten() {
        let part = words(part);
        if !part.is_empty() {
            text.push(' ');
            text.push_str(&part);
        }
    }
    text
}

/// Answers `text` as the person who ran the command; `private` answers only they can see (never a crisis
/// or overdose reply). Returns the reply.
async fn answer(ctx: Ctx<'_>, text: String, private: bool) -> Result<bot_core::Reply, Error> {
    let started = std::time::Instant::now();
    let _answering = ctx.data().answering.token();
    let reply = ctx.data().responder.respond(&with_locale(
        ChatMessage::text(person(ctx.author().id), text),
        ctx.locale(),
    ));
    let ephemeral = private && reply.alarm().is_none() && ctx.guild_id().is_some();
    let patience = Patience::for_reply(&reply);
    let mut sent = Ok(());
    for message in render::render(&reply) {
        let result = send::retrying(patience, || ctx.send(message.poise_reply(ephemeral))).await;
        if let Err(error) = result {
            sent = Err(error);
            break;
        }
    }
    send::count(&sent);
    sent?;
    send::record_latency(started);
    tracing::info!(
        kind = "command",
        command = %ctx.command().name,
        intent = %reply.intent,
        urgent = reply.urgent,
        ms = started.elapsed().as_millis() as u64,
        "answered"
    );
    Ok(reply)
}

/// A command without options: /crisis, /overdose, /forget, /help, /start and any other in the menu.
#[poise::command(slash_command)]
async fn simple(ctx: Ctx<'_>) -> Result<(), Error> {
    let name = ctx.command().name.clone();
    // What the bot keeps about a person is theirs: in a server, only they see the answer to /forget.
    let private = name == "forget";
    answer(ctx, format!("/{name}"), private).await?;
    Ok(())
}

/// Days for /meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum Day {
    #[name = "today"]
    Today,
    #[name = "tonight"]
    Tonight,
    #[name = "tomorrow"]
    Tomorrow,
    #[name = "this weekend"]
    Weekend,
    #[name = "Monday"]
    Monday,
    #[name = "Tuesday"]
    Tuesday,
    #[name = "Wednesday"]
    Wednesday,
    #[name = "Thursday"]
    Thursday,
    #[name = "Friday"]
    Friday,
    #[name = "Saturday"]
    Saturday,
    #[name = "Sunday"]
    Sunday,
}

impl Day {
    fn words(self) -> &'static str {
        match self {
            Day::Today => "today",
            Day::Tonight => "tonight",
            Day::Tomorrow => "tomorrow",
            Day::Weekend => "weekend",
            Day::Monday => "monday",
            Day::Tuesday => "tuesday",
            Day::Wednesday => "wednesday",
            Day::Thursday => "thursday",
            Day::Friday => "friday",
            Day::Saturday => "saturday",
            Day::Sunday => "sunday",
        }
    }
}

/// Online or in person, for /meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum Attendance {
    #[name = "online"]
    Online,
    #[name = "in person"]
    InPerson,
    #[name = "hybrid"]
    Hybrid,
}

impl Attendance {
    fn words(self) -> &'static str {
        match self {
            Attendance::Online => "online",
            Attendance::InPerson => "in person",
            Attendance::Hybrid => "hybrid",
        }
    }
}

/// The text of /meeting with its options.
pub fn meeting_text(
    day: Option<Day>,
    time: Option<&str>,
    kind: Option<&str>,
    online: Option<Attendance>,
    place: Option<&str>,
) -> String {
    let place = place.map(words).filter(|p| !p.is_empty()).map(|p| {
        let lower = p.to_lowercase();
        if ["near ", "in ", "around "]
            .iter()
            .any(|w| lower.starts_with(w))
        {
            p
        } else {
            format!("near {p}")
        }
    });
    command_text(
        "meeting",
        [
            day.map(Day::words),
            time,
            kind,
            online.map(Attendance::words),
            place.as_deref(),
        ],
    )
}

const MEETING_TYPES: &[&str] = &[
    "women",
    "men",
    "LGBTQ",
    "young people",
    "beginners",
    "speaker",
    "discussion",
    "big book",
    "step study",
    "open",
    "closed",
    "secular",
    "meditation",
    "wheelchair accessible",
    "Spanish",
    "AA",
    "NA",
    "Al-Anon",
    "CMA",
    "SMART Recovery",
];

async fn meeting_types(_ctx: Ctx<'_>, partial: &str) -> Vec<String> {
    matching(MEETING_TYPES.iter().copied(), partial)
}

/// Find mutual-aid meetings by day, time, type, online or place
#[poise::command(slash_command)]
async fn meeting(
    ctx: Ctx<'_>,
    #[description = "Which day"] day: Option<Day>,
    #[description = "A time or part of the day: 7pm, morning, after 6"]
    #[max_length = 40]
    time: Option<String>,
    #[description = "Kind of meeting or fellowship: women, beginners, AA, NA, SMART…"]
    #[rename = "type"]
    #[max_length = 60]
    #[autocomplete = "meeting_types"]
    kind: Option<String>,
    #[description = "Online, in person or hybrid"] online: Option<Attendance>,
    #[description = "A town, city or zip code"]
    #[max_length = 100]
    place: Option<String>,
) -> Result<(), Error> {
    let text = meeting_text(
        day,
        time.as_deref(),
        kind.as_deref(),
        online,
        place.as_deref(),
    );
    answer(ctx, text, false).await?;
    Ok(())
}

async fn principle_names(ctx: Ctx<'_>, partial: &str) -> Vec<String> {
    matching(
        ctx.data().menu.principles.iter().map(String::as_str),
        partial,
    )
}

/// Choices containing `partial` (ignoring case), best first: those starting with it, then the rest.
fn matching<'a>(options: impl Iterator<Item = &'a str>, partial: &str) -> Vec<String> {
    let needle = partial.trim().to_lowercase();
    let (mut first, mut rest): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for option in options {
        let lower = option.to_lowercase();
        if lower.starts_with(&needle) {
            first.push(option);
        } else if lower.contains(&needle) {
            rest.push(option);
        }
    }
    first.append(&mut rest);
    first
        .into_iter()
        .take(CHOICES)
        .map(|o| truncate(o, 100))
        .collect()
}

/// Explain a recovery principle or dimension, or list them
#[poise::command(slash_command)]
async fn principle(
    ctx: Ctx<'_>,
    #[description = "A principle or dimension (leave empty for the list)"]
    #[max_length = 100]
    #[autocomplete = "principle_names"]
    name: Option<String>,
) -> Result<(), Error> {
    let text = command_text("principle", [name.as_deref()]);
    answer(ctx, text, false).await?;
    Ok(())
}

/// What to do with daily reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum RemindAction {
    #[name = "start"]
    Start,
    #[name = "pause"]
    Pause,
    #[name = "resume"]
    Resume,
    #[name = "status"]
    Status,
    #[name = "stop"]
    Stop,
}

/// The text of /remind with its options: `/remind 8am Europe/London`, `/remind pause`.
pub fn remind_text(action: Option<RemindAction>, time: Option<&str>, zone: Option<&str>) -> String {
    let has_time = [time, zone]
        .iter()
        .any(|t| t.is_some_and(|t| !t.trim().is_empty()));
    let action = match action {
        Some(RemindAction::Start) if has_time => None,
        Some(RemindAction::Start) => Some("start"),
        Some(RemindAction::Pause) => Some("pause"),
        Some(RemindAction::Resume) => Some("resume"),
        Some(RemindAction::Status) => Some("status"),
        Some(RemindAction::Stop) => Some("stop"),
        None => None,
    };
    command_text("remind", [action, time, zone])
}

const COMMON_ZONES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Australia/Sydney",
    "UTC",
];

async fn zones(_ctx: Ctx<'_>, partial: &str) -> Vec<String> {
    zone_choices(partial)
}

/// Time-zone names for autocomplete: common ones when nothing is typed.
pub fn zone_choices(partial: &str) -> Vec<String> {
    let typed = partial.trim().replace(' ', "_");
    if typed.is_empty() {
        return COMMON_ZONES.iter().map(|z| z.to_string()).collect();
    }
    matching(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()), &typed)
}

/// Daily reminder: start (time, zone), pause, resume, status, stop
#[poise::command(slash_command)]
async fn remind(
    ctx: Ctx<'_>,
    #[description = "Start (the default with a time), pause, resume, status or stop"]
    action: Option<RemindAction>,
    #[description = "When, in your time: 8am, 7:30, 21:00"]
    #[max_length = 20]
    time: Option<String>,
    #[description = "Your time zone, like America/Chicago or Europe/London"]
    #[max_length = 50]
    #[autocomplete = "zones"]
    zone: Option<String>,
) -> Result<(), Error> {
    let text = remind_text(action, time.as_deref(), zone.as_deref());
    // A person's reminder time and zone are theirs: in a server, only they see the answer.
    let reply = answer(ctx, text, true).await?;
    let starts = matches!(action, Some(RemindAction::Start | RemindAction::Resume))
        || (action.is_none() && (time.is_some() || zone.is_some()));
    if starts && ctx.guild_id().is_some() && reply.intent == Intent::Reminder && !reply.urgent {
        check_direct_messages(ctx).await?;
    }
    Ok(())
}

/// Reminders arrive in direct messages: after /remind in a server, make sure they can. If Discord refuses
/// (50007), say so in the channel (only to them) and tell the core to pause their reminders.
async fn check_direct_messages(ctx: Ctx<'_>) -> Result<(), Error> {
    let notices = &ctx.data().menu.notices;
    let note = render::notice(notices.text(Notice::RemindersArriveHere));
    match send::to_user(ctx.http(), ctx.author().id, &note, Patience::Ordinary).await {
        Ok(()) => Ok(()),
        Err(e) if error::discord_code(&e) == Some(error::code::CANNOT_DM) => {
            tracing::info!(kind = "command", "direct messages closed: reminders paused");
            ctx.data().responder.unreachable(&person(ctx.author().id));
            for message in render::notice(notices.text(Notice::DirectMessagesClosed)) {
                ctx.send(message.poise_reply(true)).await?;
            }
            Ok(())
        }
        Err(e) => {
            tracing::warn!(error = %error::describe(&e), "direct message check failed");
            Ok(())
        }
    }
}

/// Crisis watch for this server (needs Manage Server)
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "setup_watch",
        "setup_unwatch",
        "setup_alerts",
        "setup_show",
        "setup_off"
    ),
    subcommand_required
)]
async fn setup(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Whether the member may use crisis watch's settings: Manage Server (or Administrator), as Discord
/// resolved it for this interaction. If not, tells them (only them) with `refusal`.
///
/// Not poise's `required_permissions`: that asks Discord for the server, channel and member on every
/// command, and judges the channel's overrides instead of the member's server permissions.
async fn may_manage(ctx: Ctx<'_>, refusal: Notice) -> Result<bool, Error> {
    let allowed = match ctx {
        poise::Context::Application(app) => app
            .interaction
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.manage_guild() || p.administrator()),
        poise::Context::Prefix(_) => false,
    };
    if !allowed {
        say_privately(ctx, ctx.data().menu.notices.text(refusal).to_string()).await?;
    }
    Ok(allowed)
}

/// Answers a /setup subcommand, only to the member who ran it.
async fn say_privately(ctx: Ctx<'_>, text: String) -> Result<(), Error> {
    ctx.send(
        poise::CreateReply::default()
            .content(text)
            .ephemeral(true)
            .allowed_mentions(serenity::CreateAllowedMentions::new()),
    )
    .await?;
    Ok(())
}

/// Loads the settings, lets `change` edit them, stores them as set by this member (which resets the
/// one-time permission notice), and returns them. `None` (after telling the member) when not allowed.
async fn change_settings(
    ctx: Ctx<'_>,
    change: impl FnOnce(&mut WatchSettings),
) -> Result<Option<WatchSettings>, Error> {
    let Some(guild) = ctx.guild_id() else {
        return Ok(None);
    };
    if !may_manage(ctx, Notice::ChangeWatchNotAllowed).await? {
        return Ok(None);
    }
    let store = &ctx.data().settings;
    let mut settings = store.get(guild.get())?.unwrap_or_default();
    change(&mut settings);
    settings.configured_by = Some(ctx.author().id.get());
    settings.problem_reported = false;
    store.put(guild.get(), &settings).await?;
    tracing::info!(
        guild = guild.get(),
        watched = settings.watched.len(),
        alerts = settings.alert_channel.is_some(),
        "crisis watch settings changed"
    );
    Ok(Some(settings))
}

/// [`change_settings`], then tells the member what crisis watch does now.
async fn change_and_show(
    ctx: Ctx<'_>,
    change: impl FnOnce(&mut WatchSettings),
) -> Result<(), Error> {
    if let Some(settings) = change_settings(ctx, change).await? {
        say_privately(ctx, summary(ctx, &settings)).await?;
    }
    Ok(())
}

/// What crisis watch does now, and what it still needs.
fn summary(ctx: Ctx<'_>, settings: &WatchSettings) -> String {
    let notices = &ctx.data().menu.notices;
    let mut lines = Vec::new();
    if settings.watched.is_empty() {
        lines.push(notices.text(Notice::WatchNoChannels).to_string());
    } else {
        let channels: Vec<String> = settings.watched.iter().map(|c| format!("<#{c}>")).collect();
        lines.push(notices.fill(Notice::WatchReads, &[("channels", &channels.join(", "))]));
        lines.push(notices.text(Notice::WatchDoes).to_string());
    }
    match (settings.alert_channel, settings.alert_role) {
        (Some(channel), Some(role)) => lines.push(notices.fill(
            Notice::AlertsWithRole,
            &[
                ("channel", &format!("<#{channel}>")),
                ("role", &format!("<@&{role}>")),
            ],
        )),
        (Some(channel), None) => lines.push(notices.fill(
            Notice::AlertsWithoutRole,
            &[("channel", &format!("<#{channel}>"))],
        )),
        (None, _) => lines.push(notices.text(Notice::NoAlertChannel).to_string()),
    }
    if !ctx.data().reads_messages() {
        lines.push(notices.text(Notice::NoMessageContent).to_string());
    }
    lines.join("\n")
}

/// Watch a channel for crisis messages
#[poise::command(slash_command, guild_only, rename = "watch")]
async fn setup_watch(
    ctx: Ctx<'_>,
    #[description = "The channel to watch"]
    #[channel_types("Text", "News", "PublicThread", "PrivateThread")]
    channel: serenity::ChannelId,
) -> Result<(), Error> {
    change_and_show(ctx, |s| {
        s.watched.insert(channel.get());
    })
    .await
}

/// Stop watching a channel
#[poise::command(slash_command, guild_only, rename = "unwatch")]
async fn setup_unwatch(
    ctx: Ctx<'_>,
    #[description = "The channel to stop watching"] channel: serenity::ChannelId,
) -> Result<(), Error> {
    change_and_show(ctx, |s| {
        s.watched.remove(&channel.get());
    })
    .await
}

/// Where moderators are alerted, and which role to ping
#[poise::command(slash_command, guild_only, rename = "alerts")]
async fn setup_alerts(
    ctx: Ctx<'_>,
    #[description = "The channel for alerts (moderators only, ideally)"]
    #[channel_types("Text", "PrivateThread", "PublicThread")]
    channel: serenity::ChannelId,
    #[description = "The role to ping (the only mention the bot ever makes)"] role: Option<
        serenity::Role,
    >,
) -> Result<(), Error> {
    let role_id = role.as_ref().map(|r| r.id);
    let Some(settings) = change_settings(ctx, |s| {
        s.alert_channel = Some(channel.get());
        s.alert_role = role_id.map(|r| r.get());
    })
    .await?
    else {
        return Ok(());
    };
    let notices = &ctx.data().menu.notices;
    let mut text = summary(ctx, &settings);
    // A test post shows at once whether the bot may write there (without pinging anyone).
    let test = render::notice(notices.text(Notice::AlertChannelTest));
    if let Err(e) = send::to_channel(ctx.http(), channel, &test, Patience::Ordinary).await {
        tracing::warn!(error = %error::describe(&e), "crisis watch: test alert failed");
        text.push('\n');
        text.push_str(&notices.fill(
            Notice::CannotPostAlerts,
            &[("channel", &format!("<#{channel}>"))],
        ));
    }
    if let Some(role) = &role {
        let bot_may_ping_any = match ctx {
            poise::Context::Application(app) => app
                .interaction
                .app_permissions
                .is_some_and(|p| p.mention_everyone()),
            poise::Context::Prefix(_) => false,
        };
        if !role.mentionable && !bot_may_ping_any {
            text.push('\n');
            text.push_str(notices.text(Notice::RoleNotMentionable));
        }
    }
    say_privately(ctx, text).await
}

/// Show this server's crisis watch settings
#[poise::command(slash_command, guild_only, rename = "show")]
async fn setup_show(ctx: Ctx<'_>) -> Result<(), Error> {
    let Some(guild) = ctx.guild_id() else {
        return Ok(());
    };
    if !may_manage(ctx, Notice::SeeWatchNotAllowed).await? {
        return Ok(());
    }
    let settings = ctx.data().settings.get(guild.get())?.unwrap_or_default();
    say_privately(ctx, summary(ctx, &settings)).await
}

/// Turn crisis watch off and delete its settings
#[poise::command(slash_command, guild_only, rename = "off")]
async fn setup_off(ctx: Ctx<'_>) -> Result<(), Error> {
    let Some(guild) = ctx.guild_id() else {
        return Ok(());
    };
    if !may_manage(ctx, Notice::ChangeWatchNotAllowed).await? {
        return Ok(());
    }
    ctx.data().settings.delete(guild.get()).await?;
    tracing::info!(guild = guild.get(), "crisis watch turned off");
    say_privately(
        ctx,
        ctx.data().menu.notices.text(Notice::WatchOff).to_string(),
    )
    .await
}

/// Handles poise's errors without logging any text a person wrote.
async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    let command = error.ctx().map(|c| c.command().name.clone());
    let tell = match &error {
        poise::FrameworkError::Setup { .. } => {
            tracing::error!("Discord setup failed");
            None
        }
        poise::FrameworkError::EventHandler { event, .. } => {
            tracing::error!(
                event = event.snake_case_name(),
                "Discord event handler failed"
            );
            None
        }
        poise::FrameworkError::Command { error, .. } => {
            tracing::error!(?command, error = %error, "command failed");
            Some(Notice::SomethingWentWrong)
        }
        poise::FrameworkError::CommandPanic { .. } => {
            tracing::error!(?command, "command panicked");
            Some(Notice::SomethingWentWrong)
        }
        poise::FrameworkError::ArgumentParse { .. }
        | poise::FrameworkError::CommandStructureMismatch { .. } => {
            tracing::warn!(?command, "command options not understood");
            Some(Notice::OptionsNotUnderstood)
        }
        poise::FrameworkError::MissingUserPermissions { .. } => Some(Notice::ManageServerOnly),
        poise::FrameworkError::GuildOnly { .. } => Some(Notice::ServerOnly),
        poise::FrameworkError::UnknownInteraction { .. } => {
            tracing::warn!("interaction for a command this bot does not have");
            None
        }
        other => {
            tracing::warn!(?command, kind = kind_name(other), "command not run");
            None
        }
    };
    if let (Some(notice), Some(ctx)) = (tell, error.ctx()) {
        let reply = poise::CreateReply::default()
            .content(ctx.data().menu.notices.text(notice))
            .ephemeral(true)
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        if let Err(e) = ctx.send(reply).await {
            tracing::warn!(error = %error::describe(&e), "could not report a command error");
        }
    }
}

fn kind_name(error: &poise::FrameworkError<'_, Data, Error>) -> &'static str {
    match error {
        poise::FrameworkError::CooldownHit { .. } => "cooldown",
        poise::FrameworkError::MissingBotPermissions { .. } => "missing bot permissions",
        poise::FrameworkError::NotAnOwner { .. } => "not an owner",
        poise::FrameworkError::DmOnly { .. } => "dm only",
        poise::FrameworkError::NsfwOnly { .. } => "nsfw only",
        poise::FrameworkError::CommandCheckFailed { .. } => "check failed",
        poise::FrameworkError::SubcommandRequired { .. } => "subcommand required",
        poise::FrameworkError::UnknownCommand { .. } => "unknown command",
        poise::FrameworkError::NonCommandMessage { .. } => "non-command message",
        poise::FrameworkError::DynamicPrefix { .. } => "dynamic prefix",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locale_gives_a_language_and_where_it_names_one_a_country() {
        let message = |locale| {
            with_locale(
                ChatMessage::text(person(serenity::UserId::new(1)), "hi"),
                locale,
            )
        };
        let mexico = message(Some("es-MX"));
        assert_eq!(mexico.language_hint, Some(Language::Spanish));
        assert_eq!(mexico.country_hint, bot_core::CountryCode::parse("MX"));
        let latin_america = message(Some("es-419"));
        assert_eq!(latin_america.language_hint, Some(Language::Spanish));
        assert_eq!(latin_america.country_hint, None);
        let french = message(Some("fr"));
        assert_eq!((french.language_hint, french.country_hint), (None, None));
        assert_eq!(message(None).language_hint, None);
    }

    #[test]
    fn meeting_options_become_words() {
        assert_eq!(
            meeting_text(
                Some(Day::Tonight),
                None,
                Some("women"),
                Some(Attendance::Online),
                Some("Tustin")
            ),
            "/meeting tonight women online near Tustin"
        );
        assert_eq!(
            meeting_text(
                None,
                Some(" 7pm "),
                None,
                Some(Attendance::InPerson),
                Some("in  Austin\nTX")
            ),
            "/meeting 7pm in person in Austin TX"
        );
        assert_eq!(meeting_text(None, None, None, None, Some("  ")), "/meeting");
    }

    #[test]
    fn remind_options_become_words() {
        assert_eq!(
            remind_text(None, Some("8am"), Some("Europe/London")),
            "/remind 8am Europe/London"
        );
        assert_eq!(
            remind_text(Some(RemindAction::Start), Some("8am"), None),
            "/remind 8am"
        );
        assert_eq!(
            remind_text(Some(RemindAction::Start), None, None),
            "/remind start"
        );
        assert_eq!(
            remind_text(Some(RemindAction::Pause), None, None),
            "/remind pause"
        );
        assert_eq!(remind_text(None, None, None), "/remind");
    }

    #[test]
    fn option_text_cannot_add_lines() {
        assert_eq!(
            command_text("principle", [Some("hope\n/forget")]),
            "/principle hope /forget"
        );
    }

    #[test]
    fn principle_autocomplete_prefers_prefixes() {
        let names = ["Recovery emerges from hope", "Hope", "Home", "Health"];
        assert_eq!(
            matching(names.iter().copied(), "ho"),
            vec!["Hope", "Home", "Recovery emerges from hope"]
        );
        assert_eq!(matching(names.iter().copied(), "").len(), 4);
    }

    #[test]
    fn zone_autocomplete() {
        assert!(zone_choices("").contains(&"Europe/London".to_string()));
        let found = zone_choices("new york");
        assert!(found.contains(&"America/New_York".to_string()), "{found:?}");
        assert!(zone_choices("Europe").len() <= CHOICES);
    }

    #[test]
    fn commands_follow_the_menu() {
        let bot = bot_core::Core::embedded().unwrap();
        let menu = bot.menu();
        let commands = commands(&menu);
        let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
        for entry in &menu.commands {
            assert!(names.contains(&entry.name.as_str()), "{names:?}");
        }
        assert_eq!(names.last(), Some(&"setup"));
        for command in &commands {
            let description = command.description.as_deref().unwrap();
            assert!(!description.is_empty() && description.chars().count() <= 100);
            assert!(
                command.create_as_slash_command().is_some(),
                "{}",
                command.name
            );
        }
        let crisis = commands.iter().find(|c| c.name == "crisis").unwrap();
        let wanted = &menu
            .commands
            .iter()
            .find(|c| c.name == "crisis")
            .unwrap()
            .description;
        assert_eq!(crisis.description.as_ref(), Some(wanted));
        let spanish = &crisis.description_localizations;
        assert!(
            spanish["es-ES"].starts_with("Líneas de crisis"),
            "{spanish:?}"
        );
        assert_eq!(spanish["es-ES"], spanish["es-419"]);
        let meeting = commands.iter().find(|c| c.name == "meeting").unwrap();
        let options: Vec<&str> = meeting.parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(options, ["day", "time", "type", "online", "place"]);
        let setup = commands.iter().find(|c| c.name == "setup").unwrap();
        assert!(setup.default_member_permissions.manage_guild());
        assert!(setup.guild_only);
    }

    #[test]
    fn names_discord_refuses_are_left_out() {
        assert!(valid_name("meeting"));
        assert!(valid_name("step-4"));
        assert!(!valid_name("Meeting"));
        assert!(!valid_name("two words"));
        assert!(!valid_name(""));
    }
}
