//! Meeting feeds given on the command line: `ask --meetings FILE` and `meetings check FILE...`.

use anyhow::{Context as _, Result, bail};
use meetings::{Catalog, Feed, Fellowship, Tz, ZoneSource};
use std::path::Path;

/// What the command line says about every feed it names.
#[derive(Debug, Clone, Copy, Default)]
pub struct FeedDefaults {
    /// Zone for meetings that name none (else guessed from the addresses).
    pub timezone: Option<Tz>,
    /// The feeds' fellowship (else AA for Meeting Guide, NA for BMLT).
    pub fellowship: Option<Fellowship>,
}

/// A fellowship by its short name ("aa", "NA", "smart").
pub fn parse_fellowship(name: &str) -> Result<Fellowship> {
    Fellowship::ALL
        .into_iter()
        .find(|f| f.short_name().eq_ignore_ascii_case(name.trim()))
        .with_context(|| {
            let known: Vec<&str> = Fellowship::ALL.iter().map(|f| f.short_name()).collect();
            format!("unknown fellowship {name:?} (known: {})", known.join(", "))
        })
}

/// An IANA time zone name.
pub fn parse_timezone(name: &str) -> Result<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        anyhow::anyhow!("unknown time zone {name:?} (use an IANA name such as America/New_York)")
    })
}

/// Loads one feed file; its id is the file name without extension.
pub fn load_file(path: &Path, defaults: FeedDefaults) -> Result<(Feed, ZoneSource)> {
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "feed".into());
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading meeting feed {}", path.display()))?;
    let loaded = Feed::from_json_guessing(&text, &id, defaults.timezone, defaults.fellowship)
        .with_context(|| format!("loading meeting feed {}", path.display()))?;
    tracing::info!(feed = %id, loaded = loaded.0.report.loaded, skipped = loaded.0.report.skipped_total(), "feed loaded");
    Ok(loaded)
}

/// Loads every file into one catalog; stops at the first feed that cannot be read at all.
pub fn load_catalog(paths: &[std::path::PathBuf], defaults: FeedDefaults) -> Result<Catalog> {
    let mut feeds = Vec::with_capacity(paths.len());
    for path in paths {
        feeds.push(load_file(path, defaults)?.0);
    }
    Ok(Catalog::new(feeds))
}

/// `meetings check`: loads each feed and prints what was loaded and skipped, and why. Fails when any feed
/// could not be loaded at all.
pub fn check(
    paths: &[std::path::PathBuf],
    defaults: FeedDefaults,
    out: &mut impl std::io::Write,
) -> Result<()> {
    let mut failed = 0;
    for path in paths {
        match load_file(path, defaults) {
            Ok((feed, zone)) => {
                let zone = match zone {
                    ZoneSource::Configured => "configured",
                    ZoneSource::Guessed => "guessed from the addresses",
                    ZoneSource::Unknown => "unknown, UTC assumed: set --feed-timezone",
                };
                writeln!(
                    out,
                    "{}: {:?} feed, {}",
                    path.display(),
                    feed.format,
                    feed.report
                )?;
                writeln!(
                    out,
                    "  default time zone: {} ({zone})",
                    feed.options.default_timezone.name()
                )?;
                if let Some(f) = feed.options.fellowship {
                    writeln!(out, "  fellowship: {}", f.full_name())?;
                }
                if let Some(date) = feed.updated {
                    writeln!(out, "  updated: {date}")?;
                }
                for (adjustment, n) in &feed.report.adjusted {
                    writeln!(out, "  adjusted: {adjustment:?}={n}")?;
                }
            }
            Err(e) => {
                failed += 1;
                writeln!(out, "{}: not loaded: {e:#}", path.display())?;
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} feeds could not be loaded", paths.len());
    }
    Ok(())
}
