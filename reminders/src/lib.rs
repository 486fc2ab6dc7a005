//! reminders (being written).
