//! The bot as every platform meets it: bot-core's answer, plus what needs state (the conversation so far,
//! the meeting feeds, reminders). The adapters and the terminal chat all go through [`App`], so a message
//! gets the same answer everywhere.

use bot_core::language::Language;
use bot_core::{
    ChatContext, ChatKind, ChatMessage, ChatRef, Classification, Core, CountryCode, Platform,
    ReminderAction, ReminderOutcome, Reply, Responder,
};
use chrono::{DateTime, Utc};
use lru::LruCache;
use meetings::Catalog;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a conversation is remembered after its last message (only whether the last reply was a crisis
/// reply; never what was said).
const CONVERSATION_MEMORY: Duration = Duration::from_secs(6 * 60 * 60);
/// Conversations remembered at most; the oldest are forgotten first.
const MAX_CONVERSATIONS: NonZeroUsize = NonZeroUsize::new(100_000).expect("above zero");

/// Where the current meeting catalog comes from (feeds refresh in the background).
pub type Catalogs = Arc<dyn Fn() -> Option<Arc<Catalog>> + Send + Sync>;

/// What the binary answers with.
pub struct App {
    bot: Arc<Core>,
    catalogs: Option<Catalogs>,
    reminders: Option<Arc<reminders::Reminders>>,
    /// The chats whose last reply was a crisis reply, with when it was sent.
    conversations: Mutex<LruCache<ChatRef, Instant>>,
    /// What each person said about themselves: in memory only, gone with `/forget`.
    preferences: Mutex<LruCache<ChatRef, Preferences>>,
    defaults: Defaults,
    clock: fn() -> DateTime<Utc>,
}

/// The operator's assumptions about people until they say otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults {
    /// Where people are (`default_country`, `--country`).
    pub country: Option<CountryCode>,
    /// The language to answer in (`default_language`, `--lang`).
    pub language: Option<Language>,
}

/// What a person said about themselves.
#[derive(Debug, Clone, Copy, Default)]
struct Preferences {
    /// The country they said they are in ("I'm in the UK", `/country GB`).
    country: Option<CountryCode>,
    /// The language they chose (`/language es`).
    language: Option<Language>,
}

impl App {
    /// An app answering with `bot`, without feeds or reminders.
    pub fn new(bot: Arc<Core>) -> Self {
        App {
            bot,
            catalogs: None,
            reminders: None,
            conversations: Mutex::new(LruCache::new(MAX_CONVERSATIONS)),
            preferences: Mutex::new(LruCache::new(MAX_CONVERSATIONS)),
            defaults: Defaults::default(),
            clock: Utc::now,
        }
    }

    /// Searches the catalog `catalogs` returns at the time of each message.
    pub fn with_meetings(mut self, catalogs: Catalogs) -> Self {
        self.catalogs = Some(catalogs);
        self
    }

    /// Keeps daily reminders.
    pub fn with_reminders(mut self, reminders: Arc<reminders::Reminders>) -> Self {
        self.reminders = Some(reminders);
        self
    }

    /// Assumes what `defaults` says of people until they say otherwise.
    pub fn with_defaults(mut self, defaults: Defaults) -> Self {
        self.defaults = defaults;
        self
    }

    /// Answers as if it were always `now` (for reproducible answers).
    #[cfg(test)]
    pub fn with_clock(mut self, clock: fn() -> DateTime<Utc>) -> Self {
        self.clock = clock;
        self
    }

    fn context(&self, message: &ChatMessage, now: DateTime<Utc>) -> ChatContext {
        let zone = self
            .reminders
            .as_ref()
            .and_then(|r| r.zone_of(&message.chat));
        let mut context = ChatContext::at(message.chat.platform, now, zone);
        context.chat = message.chat.kind;
        context.location = message.location;
        context.meetings = self.catalogs.as_ref().and_then(|c| c());
        context.after_crisis = self
            .conversations
            .lock()
            .expect("conversation memory")
            .peek(&message.chat)
            .is_some_and(|last_seen| last_seen.elapsed() < CONVERSATION_MEMORY);
        let said = self
            .preferences
            .lock()
            .expect("preference memory")
            .get(&message.chat)
            .copied()
            .unwrap_or_default();
        // What they said, else their reminder zone's country, else their platform's locale, else the
        // operator's default.
        context.country = said
            .country
            .or_else(|| zone.and_then(|z| self.bot.content().countries.of_zone(z.name())))
            .or(message.country_hint)
            .or(self.defaults.country);
        context.language = said.language.or(self.defaults.language);
        context.language_hint = message.language_hint;
        context
    }

    fn remember(&self, chat: &ChatRef, reply: &Reply, mut context: ChatContext) {
        context.remember(reply);
        let mut conversations = self.conversations.lock().expect("conversation memory");
        if context.after_crisis {
            conversations.put(chat.clone(), Instant::now());
        } else {
            conversations.pop(chat);
        }
    }

    /// Deletes what the app keeps about `chat` (the reminders keep their own).
    fn forget_conversation(&self, chat: &ChatRef) {
        self.conversations
            .lock()
            .expect("conversation memory")
            .pop(chat);
        self.preferences
            .lock()
            .expect("preference memory")
            .pop(chat);
    }
}

impl Responder for App {
    fn classify(&self, text: &str) -> Classification {
        self.bot.classify(text)
    }

    fn respond(&self, message: &ChatMessage) -> Reply {
        let started = Instant::now();
        let now = (self.clock)();
        let context = self.context(message, now);
        let understood = self.bot.understand(&message.text, &context);
        let mut reply = understood.reply;
        if understood.country.is_some() || understood.language.is_some() {
            let mut preferences = self.preferences.lock().expect("preference memory");
            let said = preferences.get_or_insert_mut(message.chat.clone(), Preferences::default);
            said.country = understood.country.or(said.country);
            said.language = understood.language.or(said.language);
        }
        if let Some(action) = &understood.reminder {
            // Only a group's admins change (or forget) the group's reminder; anyone may see it.
            let may_change =
                message.chat.kind != ChatKind::Group || message.sender_manages_chat == Some(true);
            if *action == ReminderAction::Forget && may_change {
                self.forget_conversation(&message.chat);
            }
            if let Some(reminders) = &self.reminders {
                let outcome = if action.changes() && !may_change {
                    Ok(ReminderOutcome::GroupAdminsOnly)
                } else {
                    off_the_async_worker(|| reminders.apply(&message.chat, action, now))
                };
                match outcome {
                    Ok(outcome) => {
                        reply = self.bot.say_reminder(&outcome, now, reply.language);
                    }
                    Err(error) => {
                        tracing::error!(platform = ?message.chat.platform, chat = %message.chat.id, error = %error, "reminder store failed");
                    }
                }
            }
        }
        self.remember(&message.chat, &reply, context);
        count_reply(message.chat.platform, &reply, started.elapsed());
        tracing::info!(
            platform = ?message.chat.platform,
            chat = %message.chat.id,
            intent = %reply.intent,
            urgent = reply.urgent,
            meetings = reply.meetings.len(),
            micros = started.elapsed().as_micros() as u64,
            "answered"
        );
        reply
    }

    fn unreachable(&self, chat: &ChatRef) {
        tracing::info!(platform = ?chat.platform, chat = %chat.id, "chat unreachable");
        if let Some(reminders) = &self.reminders
            && let Err(error) = off_the_async_worker(|| reminders.mark_unreachable(chat))
        {
            tracing::error!(platform = ?chat.platform, chat = %chat.id, error = %error, "could not pause reminders");
        }
    }
}

/// Counts an answered message by platform and intent, an urgent reply, and the time the answer took
/// (never anything the person wrote).
fn count_reply(platform: Platform, reply: &Reply, took: Duration) {
    let platform = crate::monitor::platform_label(platform);
    metrics::counter!("recovery_bot_messages_total", "platform" => platform, "intent" => reply.intent.as_str())
        .increment(1);
    if reply.urgent {
        metrics::counter!("recovery_bot_urgent_replies_total", "platform" => platform).increment(1);
    }
    metrics::histogram!("recovery_bot_respond_seconds", "platform" => platform)
        .record(took.as_secs_f64());
}

/// Runs a reminder store change, which waits for an fsync, without holding up an async worker: on tokio's
/// multi-threaded runtime (`serve`) the worker hands its other tasks to another thread first, so no other chat
/// waits for the disk; elsewhere (the terminal chat, `ask`, tests) it simply runs.
fn off_the_async_worker<T>(change: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(change)
        }
        _ => change(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bot_core::{ChatKind, Intent};
    use chrono::TimeZone;

    /// Tuesday 24 November 2026, 17:00 in California.
    fn tuesday_5pm() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap()
    }

    fn chat(id: &str) -> ChatRef {
        ChatRef::new(Platform::Telegram, id, ChatKind::Direct)
    }

    fn app() -> (App, Arc<reminders::Reminders>) {
        let bot = Arc::new(Core::embedded().unwrap());
        let db = sled::Config::new().temporary(true).open().unwrap();
        let content = bot.reminder_content().clone();
        let reminders = Arc::new(
            reminders::Reminders::open(&db, content, reminders::Settings::default()).unwrap(),
        );
        let app = App::new(bot)
            .with_reminders(Arc::clone(&reminders))
            .with_clock(tuesday_5pm);
        (app, reminders)
    }

    fn say(app: &App, chat: &ChatRef, text: &str) -> Reply {
        app.respond(&ChatMessage::text(chat.clone(), text))
    }

    #[test]
    fn small_talk_after_a_crisis_keeps_the_lines_in_that_conversation_only() {
        let (app, _) = app();
        let (a, b) = (chat("1"), chat("2"));
        assert_eq!(
            say(&app, &a, "i want to end my life").intent,
            Intent::Crisis
        );
        let after = say(&app, &a, "ok");
        assert!(after.plain_text().contains("988"), "{}", after.plain_text());
        let elsewhere = say(&app, &b, "ok");
        assert_ne!(elsewhere.explanation.entries, after.explanation.entries);
        // Moving on to something else ends it.
        say(&app, &a, "what is recovery");
        assert_eq!(
            say(&app, &a, "ok").explanation.entries,
            elsewhere.explanation.entries
        );
    }

    #[test]
    fn the_country_a_person_names_is_kept_for_their_conversation_until_forget() {
        let (app, _) = app();
        let app = app.with_defaults(Defaults {
            country: CountryCode::parse("AU"),
            language: None,
        });
        let (a, b) = (chat("1"), chat("2"));
        say(&app, &a, "hi, i'm in the uk");
        let crisis = say(&app, &a, "i want to end my life").plain_text();
        assert!(
            crisis.contains("116 123") && !crisis.contains("988"),
            "{crisis}"
        );
        // Someone else gets the operator's default.
        let other = say(&app, &b, "i want to end my life").plain_text();
        assert!(other.contains("13 11 14"), "{other}");
        say(&app, &a, "/forget");
        let after = say(&app, &a, "i want to end my life").plain_text();
        assert!(after.contains("13 11 14"), "{after}");
        say(&app, &a, "/country mx");
        let mexico = say(&app, &a, "i want to end my life").plain_text();
        assert!(mexico.contains("800 911 2000"), "{mexico}");
    }

    #[test]
    fn the_language_a_person_chooses_is_kept_until_forget_and_beats_the_platform_hint() {
        let (app, _) = app();
        let (a, b) = (chat("1"), chat("2"));
        let crisis = "i want to end my life";
        assert_eq!(say(&app, &a, crisis).language, Language::English);
        let chosen = say(&app, &a, "/language es");
        assert_eq!(chosen.language, Language::Spanish);
        assert!(chosen.plain_text().contains("español"));
        // An English message, now answered in Spanish; someone else still gets English.
        let reply = say(&app, &a, crisis);
        assert_eq!(reply.language, Language::Spanish);
        assert!(
            reply.plain_text().contains("marca 2"),
            "{}",
            reply.plain_text()
        );
        assert_eq!(say(&app, &b, crisis).language, Language::English);
        say(&app, &a, "/forget");
        assert_eq!(say(&app, &a, crisis).language, Language::English);

        // The platform's language decides only where the words do not tell.
        let hinted = |text: &str| {
            let mut message = ChatMessage::text(b.clone(), text);
            message.language_hint = Some(Language::Spanish);
            app.respond(&message).language
        };
        assert_eq!(hinted("/crisis"), Language::Spanish);
        assert_eq!(hinted(crisis), Language::English);
        assert_eq!(hinted("ya no quiero vivir"), Language::Spanish);
    }

    #[test]
    fn a_platform_locale_tells_the_country_after_what_the_person_said() {
        let (app, _) = app();
        let a = chat("1");
        let mut message = ChatMessage::text(a.clone(), "i want to end my life");
        message.country_hint = CountryCode::parse("GB");
        let uk = app.respond(&message).plain_text();
        assert!(uk.contains("116 123") && !uk.contains("988"), "{uk}");
        say(&app, &a, "/country mx");
        let mexico = app.respond(&message).plain_text();
        assert!(mexico.contains("800 911 2000"), "{mexico}");
    }

    #[test]
    fn a_reminder_zone_tells_the_country_when_the_person_has_not_said() {
        let (app, _) = app();
        let a = chat("1");
        say(&app, &a, "/remind 8am Europe/London");
        let crisis = say(&app, &a, "i want to end my life").plain_text();
        assert!(
            crisis.contains("116 123") && !crisis.contains("988"),
            "{crisis}"
        );
    }

    #[test]
    fn reminder_requests_reach_the_store_and_forget_deletes_them() {
        let (app, reminders) = app();
        let me = chat("7");
        let set = say(&app, &me, "remind me every day at 8am Europe/London");
        assert_eq!(set.intent, Intent::Reminder);
        let subscription = reminders.subscription(&me).unwrap().expect("stored");
        assert_eq!(subscription.zone, meetings::Tz::Europe__London);
        assert_eq!(reminders.zone_of(&me), Some(meetings::Tz::Europe__London));

        app.unreachable(&me);
        let paused = reminders.subscription(&me).unwrap().unwrap();
        assert_eq!(paused.state, reminders::State::Blocked);

        say(&app, &me, "/forget");
        assert_eq!(reminders.subscription(&me).unwrap(), None);
    }

    #[test]
    fn spanish_reminder_requests_reach_the_store_and_are_answered_in_spanish() {
        let (app, reminders) = app();
        let me = chat("8");
        let set = say(&app, &me, "recuérdame todos los días a las 8 Europe/Madrid");
        assert_eq!(set.intent, Intent::Reminder);
        assert_eq!(set.language, Language::Spanish);
        let text = set.plain_text();
        assert!(text.starts_with("Recordatorio diario activado"), "{text}");
        assert!(text.contains("08:00"), "{text}");
        assert!(
            !text.contains("Por ahora solo puedo"),
            "no English notice: {text}"
        );
        let stored = reminders.subscription(&me).unwrap().expect("stored");
        assert_eq!(stored.zone, meetings::Tz::Europe__Madrid);

        say(&app, &me, "pausa los recordatorios");
        let paused = reminders.subscription(&me).unwrap().unwrap();
        assert_eq!(paused.state, reminders::State::Paused);
        say(&app, &me, "para los recordatorios");
        assert_eq!(reminders.subscription(&me).unwrap(), None);
    }

    #[test]
    fn in_a_group_only_an_admin_changes_the_reminder_and_anyone_sees_it() {
        let (app, reminders) = app();
        let group = ChatRef::new(Platform::Telegram, "-1001", ChatKind::Group);
        let from = |manages: Option<bool>, text: &str| {
            let mut message = ChatMessage::text(group.clone(), text);
            message.sender_manages_chat = manages;
            app.respond(&message)
        };
        for member in [None, Some(false)] {
            let refused = from(member, "/remind 8am Europe/London");
            assert_eq!(refused.intent, Intent::Reminder);
            assert!(
                refused.plain_text().contains("Only this group's admins"),
                "{}",
                refused.plain_text()
            );
            assert_eq!(reminders.subscription(&group).unwrap(), None);
        }
        from(Some(true), "/remind 8am Europe/London");
        assert!(reminders.subscription(&group).unwrap().is_some());
        for change in [
            "/remind stop",
            "/remind pause",
            "/forget",
            "remind us at 9pm instead",
        ] {
            let refused = from(Some(false), change);
            assert!(
                refused.plain_text().contains("Only this group's admins"),
                "{change}: {}",
                refused.plain_text()
            );
        }
        let status = from(Some(false), "/remind status");
        assert!(
            status.plain_text().contains("8:00"),
            "{}",
            status.plain_text()
        );
        let sub = reminders.subscription(&group).unwrap().unwrap();
        assert_eq!(sub.state, reminders::State::Active);
        assert_eq!(sub.time.to_string(), "08:00:00");
        // A crisis is a crisis whoever writes it.
        assert_eq!(
            from(Some(false), "/remind 8am i want to kill myself").intent,
            Intent::Crisis
        );
    }

    #[test]
    fn meetings_come_from_the_current_catalog_in_the_persons_zone() {
        let (app, _) = app();
        let feed = include_str!("../tests/data/feeds/anytown.json");
        let (feed, _) = meetings::Feed::from_json_guessing(feed, "anytown", None, None).unwrap();
        let catalog = Arc::new(Catalog::new(vec![feed]));
        let app = app.with_meetings(Arc::new(move || Some(Arc::clone(&catalog))));
        let me = chat("9");
        let reply = say(&app, &me, "any meetings tonight?");
        assert_eq!(reply.meetings.len(), 2, "{}", reply.plain_text());
        assert!(!reply.plain_text().contains("your time"));
        say(&app, &me, "remind me at 8am America/New_York");
        let reply = say(&app, &me, "any meetings tonight?");
        assert!(
            reply.plain_text().contains("your time"),
            "{}",
            reply.plain_text()
        );
    }

    #[test]
    fn a_meeting_is_listed_in_the_contents_words() {
        let mut content = bot_core::Content::embedded().unwrap();
        content.listing.weekdays[5] = "sáb".into();
        content.listing.online = ". En línea: ".into();
        content.listing.join_link = "enlace".into();
        content.listing.or_dial = " o marca ".into();
        let feed = include_str!("../tests/data/feeds/anytown.json");
        let (feed, _) = meetings::Feed::from_json_guessing(feed, "anytown", None, None).unwrap();
        let catalog = Arc::new(Catalog::new(vec![feed]));
        let app = App::new(Arc::new(Core::new(content).unwrap()))
            .with_clock(tuesday_5pm)
            .with_meetings(Arc::new(move || Some(Arc::clone(&catalog))));
        let text = say(&app, &chat("10"), "online meetings on saturday").plain_text();
        for words in [
            "sáb 10:00 AM",
            ". En línea: enlace",
            " o marca +1 555 010 0100",
        ] {
            assert!(text.contains(words), "{words:?} in {text}");
        }
        assert!(!text.contains("join link"), "{text}");
    }

    /// On `serve`'s runtime a reminder change runs through `block_in_place`; on a single-threaded runtime it
    /// runs as it is. Both store it.
    #[test]
    fn reminder_changes_are_stored_from_either_runtime() {
        for multi_thread in [true, false] {
            let runtime = if multi_thread {
                tokio::runtime::Builder::new_multi_thread().build()
            } else {
                tokio::runtime::Builder::new_current_thread().build()
            }
            .unwrap();
            let (app, reminders) = app();
            let app = Arc::new(app);
            let me = chat("11");
            let task = {
                let (app, me) = (Arc::clone(&app), me.clone());
                async move { say(&app, &me, "remind me every day at 9pm Europe/London") }
            };
            let reply = runtime.block_on(runtime.spawn(task)).unwrap();
            assert_eq!(reply.intent, Intent::Reminder);
            assert!(reminders.subscription(&me).unwrap().is_some());
        }
    }
}
