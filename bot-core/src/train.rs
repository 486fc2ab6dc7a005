//! Training the model from the corpus, choosing its thresholds by cross-validation, and measuring a split.
//!
//! Deterministic: the same corpus and options give the same bytes. Multinomial logistic regression over the
//! hashed features, fitted by stochastic gradient descent with AdaGrad steps and L2 decay, in a fixed order.

use std::collections::BTreeMap;

use crate::corpus::{Corpus, Row};
use crate::engine::{Classification, Core, RulesReading, Thresholds};
use crate::intent::Intent;
use crate::language::Language;
use crate::model::{Header, Label, Model, Scores, bucket, for_each_feature, softmax};

/// How to train.
#[derive(Debug, Clone)]
pub struct Options {
    /// The feature table has `2^bucket_bits` rows.
    pub bucket_bits: u32,
    pub epochs: u32,
    pub learning_rate: f32,
    pub l2: f32,
    /// Folds of the cross-validation that picks the thresholds.
    pub folds: usize,
    /// Crisis recall that rules-or-model must keep in cross-validation.
    pub crisis_recall: f64,
    /// Overdose-now rows answered urgently, likewise.
    pub overdose_now_recall: f64,
    /// How often each label is expected in real chat, in [`Label::ALL`] order. The corpus is rich in crisis
    /// rows on purpose; the model's bias is shifted from the corpus's shares to these, so that a message with
    /// little evidence in it (`hey`, `never mind`) reads as the everyday message it most likely is.
    pub priors: [f64; Label::COUNT],
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bucket_bits: 18,
            epochs: 12,
            learning_rate: 0.2,
            l2: 1e-4,
            folds: 5,
            crisis_recall: 0.975,
            overdose_now_recall: 0.97,
            priors: [0.03, 0.01, 0.01, 0.05, 0.10, 0.15, 0.10, 0.55],
        }
    }
}

/// A trained model and what cross-validation said of it.
pub struct Trained {
    pub model: Model,
    /// Rules and model together on the training part, each row scored by a model that did not see it.
    pub cross_validation: Figures,
}

/// A message reduced to its hashed features: (row of the table, value).
struct Example {
    features: Vec<(u32, f32)>,
    label: usize,
}

fn example(bot: &Core, text: &str, label: Label, bits: u32) -> Example {
    let input = bot.model_input(text);
    let mut rows: Vec<u32> = Vec::new();
    for_each_feature(&input, |hash, _| rows.push(bucket(hash, bits) as u32));
    let norm = if rows.is_empty() {
        0.0
    } else {
        1.0 / (rows.len() as f32).sqrt()
    };
    rows.sort_unstable();
    let mut features: Vec<(u32, f32)> = Vec::with_capacity(rows.len());
    for row in rows {
        match features.last_mut() {
            Some((last, value)) if *last == row => *value += norm,
            _ => features.push((row, norm)),
        }
    }
    Example {
        features,
        label: label as usize,
    }
}

/// Full-precision weights.
struct Weights {
    rows: Vec<[f32; Label::COUNT]>,
    bias: [f32; Label::COUNT],
}

impl Weights {
    fn scores(&self, features: &[(u32, f32)]) -> Scores {
        let mut logits = self.bias;
        for &(row, value) in features {
            for (logit, w) in logits.iter_mut().zip(&self.rows[row as usize]) {
                *logit += w * value;
            }
        }
        Scores(softmax(logits))
    }
}

/// A small fixed-seed generator for the order of examples (xorshift64*).
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn order(&mut self, len: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..len).collect();
        for i in (1..len).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        order
    }
}

fn fit(examples: &[&Example], options: &Options) -> Weights {
    let rows = 1usize << options.bucket_bits;
    let mut w = Weights {
        rows: vec![[0f32; Label::COUNT]; rows],
        bias: [0f32; Label::COUNT],
    };
    let mut shares = [0f64; Label::COUNT];
    for example in examples {
        shares[example.label] += 1.0 / examples.len() as f64;
    }
    let mut g2 = vec![[0f32; Label::COUNT]; rows];
    let mut bias_g2 = [0f32; Label::COUNT];
    let mut shuffle = Shuffle(0x9e37_79b9_7f4a_7c15);
    let lr = options.learning_rate;
    for _ in 0..options.epochs {
        for i in shuffle.order(examples.len()) {
            let example = examples[i];
            let p = w.scores(&example.features).0;
            let delta: [f32; Label::COUNT] =
                std::array::from_fn(|l| p[l] - if l == example.label { 1.0 } else { 0.0 });
            for &(row, value) in &example.features {
                let (weights, sums) = (&mut w.rows[row as usize], &mut g2[row as usize]);
                for l in 0..Label::COUNT {
                    let g = delta[l] * value + options.l2 * weights[l];
                    sums[l] += g * g;
                    weights[l] -= lr * g / (sums[l].sqrt() + 1e-6);
                }
            }
            for l in 0..Label::COUNT {
                bias_g2[l] += delta[l] * delta[l];
                w.bias[l] -= lr * delta[l] / (bias_g2[l].sqrt() + 1e-6);
            }
        }
    }
    for (l, bias) in w.bias.iter_mut().enumerate() {
        if shares[l] > 0.0 {
            *bias += (options.priors[l] / shares[l]).ln() as f32;
        }
    }
    w
}

/// Trains on every row of `corpus`, with thresholds chosen by cross-validation on the same rows.
pub fn train(bot: &Core, corpus: &Corpus, options: &Options, trained: &str) -> Trained {
    let bits = options.bucket_bits;
    let examples: Vec<Example> = corpus
        .rows
        .iter()
        .map(|r| example(bot, &r.text, r.label, bits))
        .collect();
    let rules: Vec<RulesReading> = corpus
        .rows
        .iter()
        .map(|r| bot.classify_by_rules(&r.text))
        .collect();

    let fold_of = writer_folds(&corpus.rows, options.folds);
    let mut held_out: Vec<Option<Scores>> = vec![None; examples.len()];
    for fold in 0..options.folds {
        let train: Vec<&Example> = examples
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != fold)
            .map(|(e, _)| e)
            .collect();
        let weights = fit(&train, options);
        for (i, e) in examples.iter().enumerate() {
            if fold_of[i] == fold {
                held_out[i] = Some(weights.scores(&e.features));
            }
        }
    }
    let held_out: Vec<Scores> = held_out
        .into_iter()
        .map(|s| s.expect("every row is in a fold"))
        .collect();
    let thresholds = choose_thresholds(&corpus.rows, &rules, &held_out, options);
    let cross_validation = Figures::measure(
        corpus
            .rows
            .iter()
            .zip(rules.iter().zip(&held_out))
            .map(|(row, (rules, scores))| {
                let combined = Core::combine(*rules, scores, thresholds);
                (row, rules.said, *scores, combined)
            }),
        thresholds,
    );

    let all: Vec<&Example> = examples.iter().collect();
    let weights = fit(&all, options);
    let header = Header {
        version: 1,
        bucket_bits: bits,
        labels: Label::ALL.to_vec(),
        crisis_threshold: thresholds.crisis,
        overdose_now_threshold: thresholds.overdose_now,
        corpus_fingerprint: corpus.fingerprint(),
        trained: trained.to_string(),
    };
    Trained {
        model: Model::quantize(header, &weights.rows, weights.bias),
        cross_validation,
    }
}

/// Folds by writer: every row of a corpus file goes to the same fold, so each row is scored by a model that
/// never read its writer's habits, as users' messages will be. Files go, largest first, to the fold with the
/// fewest rows so far (ties to the lowest fold): deterministic, and the folds stay near the same size.
fn writer_folds(rows: &[Row], folds: usize) -> Vec<usize> {
    let files: Vec<&str> = rows
        .iter()
        .map(|row| {
            row.origin
                .rsplit_once(':')
                .map_or(row.origin.as_str(), |(file, _)| file)
        })
        .collect();
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for &file in &files {
        *sizes.entry(file).or_default() += 1;
    }
    let mut by_size: Vec<(&str, usize)> = sizes.into_iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut filled = vec![0usize; folds.max(1)];
    let mut fold_of_file: BTreeMap<&str, usize> = BTreeMap::new();
    for (file, size) in by_size {
        let fold = (0..filled.len())
            .min_by_key(|&f| (filled[f], f))
            .expect("at least one fold");
        filled[fold] += size;
        fold_of_file.insert(file, fold);
    }
    files.iter().map(|file| fold_of_file[file]).collect()
}

/// The highest thresholds at which rules-or-model keeps the recall goals on held-out scores: first crisis,
/// then overdose now with that crisis threshold. Each is searched among the scores of the rows it must catch,
/// from 0.5 down to 0.005, deciding each row exactly as [`Core::combine`] does.
fn choose_thresholds(
    rows: &[Row],
    rules: &[RulesReading],
    scores: &[Scores],
    options: &Options,
) -> Thresholds {
    let recall =
        |wanted: &dyn Fn(&Row) -> bool, caught: &dyn Fn(Classification) -> bool, t: Thresholds| {
            let (mut total, mut found) = (0usize, 0usize);
            for (i, row) in rows.iter().enumerate() {
                if wanted(row) {
                    total += 1;
                    found += usize::from(caught(Core::combine(rules[i], &scores[i], t)));
                }
            }
            found as f64 / total.max(1) as f64
        };
    let search = |goal: f64,
                  score: &dyn Fn(&Scores) -> f32,
                  wanted: &dyn Fn(&Row) -> bool,
                  at: &dyn Fn(f32) -> Thresholds,
                  caught: &dyn Fn(Classification) -> bool|
     -> f32 {
        let mut candidates: Vec<f32> = rows
            .iter()
            .zip(scores)
            .filter(|(row, _)| wanted(row))
            .map(|(_, s)| score(s))
            .filter(|p| (0.005..=0.5).contains(p))
            .chain([0.5, 0.005])
            .collect();
        candidates.sort_by(|a, b| b.total_cmp(a));
        candidates.dedup();
        candidates
            .iter()
            .copied()
            .find(|&t| recall(wanted, caught, at(t)) >= goal)
            .unwrap_or(0.005)
    };
    let crisis = search(
        options.crisis_recall,
        &|s| s.crisis(),
        &|r| r.label.intent() == Intent::Crisis,
        &|t| Thresholds {
            crisis: t,
            overdose_now: 1.0,
        },
        &|c| c.intent == Intent::Crisis,
    );
    let overdose_now = search(
        options.overdose_now_recall,
        &|s| s.of(Label::OverdoseNow),
        &|r| r.label == Label::OverdoseNow,
        &|t| Thresholds {
            crisis,
            overdose_now: t,
        },
        &|c| c.urgent,
    );
    Thresholds {
        crisis,
        overdose_now,
    }
}

/// How one way of deciding did on a set of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub crisis: usize,
    pub crisis_found: usize,
    pub not_crisis: usize,
    pub false_crisis: usize,
    pub overdose_now: usize,
    pub overdose_now_urgent: usize,
    pub rows: usize,
    pub intent_right: usize,
}

impl Tally {
    fn add(&mut self, label: Label, decided: Classification) {
        self.rows += 1;
        self.intent_right += usize::from(decided.intent == label.intent());
        if label.intent() == Intent::Crisis {
            self.crisis += 1;
            self.crisis_found += usize::from(decided.intent == Intent::Crisis);
        } else {
            self.not_crisis += 1;
            self.false_crisis += usize::from(decided.intent == Intent::Crisis);
        }
        if label == Label::OverdoseNow {
            self.overdose_now += 1;
            self.overdose_now_urgent += usize::from(decided.urgent);
        }
    }

    /// `0.322 (88/273)`, or `-` when there is nothing to count.
    fn share(part: usize, whole: usize) -> String {
        if whole == 0 {
            "-".into()
        } else {
            format!("{:.3} ({part}/{whole})", part as f64 / whole as f64)
        }
    }

    /// One line: crisis recall, false crisis, overdose-now urgent, 6-way accuracy, with counts.
    pub fn line(&self) -> String {
        format!(
            "crisis recall {} | false crisis {} | overdose-now urgent {} | 6-way {}",
            Tally::share(self.crisis_found, self.crisis),
            Tally::share(self.false_crisis, self.not_crisis),
            Tally::share(self.overdose_now_urgent, self.overdose_now),
            Tally::share(self.intent_right, self.rows),
        )
    }
}

/// Rules alone, model alone and both, by language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// (language or `None` for all, way of deciding) -> tally.
    pub tallies: BTreeMap<(Option<Language>, Way), Tally>,
    pub thresholds: Option<Thresholds>,
    /// Rows the combined decision got wrong on crisis or overdose-now, for people improving the bot.
    pub misses: Vec<String>,
}

/// A way of deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Way {
    Rules,
    Model,
    Combined,
}

impl Figures {
    fn measure<'r>(
        decided: impl Iterator<Item = (&'r Row, Classification, Scores, Classification)>,
        thresholds: Thresholds,
    ) -> Figures {
        let mut figures = Figures {
            thresholds: Some(thresholds),
            ..Figures::default()
        };
        for (row, rules, scores, combined) in decided {
            let model = model_alone(&scores, thresholds);
            for language in [None, Some(row.language)] {
                for (way, decision) in [
                    (Way::Rules, rules),
                    (Way::Model, model),
                    (Way::Combined, combined),
                ] {
                    figures
                        .tallies
                        .entry((language, way))
                        .or_default()
                        .add(row.label, decision);
                }
            }
            let missed = (row.label.intent() == Intent::Crisis
                && combined.intent != Intent::Crisis)
                || (row.label == Label::OverdoseNow && !combined.urgent);
            let false_alarm =
                row.label.intent() != Intent::Crisis && combined.intent == Intent::Crisis;
            if missed || false_alarm {
                figures.misses.push(format!(
                    "{} {} -> {}{} (crisis {:.2}, overdose-now {:.2}): {}",
                    row.origin,
                    row.label,
                    combined.intent,
                    if combined.urgent { " urgent" } else { "" },
                    scores.crisis(),
                    scores.of(Label::OverdoseNow),
                    row.text
                ));
            }
        }
        figures
    }

    /// Measures the bot on `corpus` (a split it was not trained on).
    pub fn evaluate(bot: &Core, corpus: &Corpus) -> Figures {
        let thresholds = bot.thresholds();
        Figures::measure(
            corpus.rows.iter().map(|row| {
                let rules = bot.classify_by_rules(&row.text).said;
                let scores = bot.scores(&row.text);
                (row, rules, scores, bot.classify(&row.text))
            }),
            thresholds,
        )
    }

    /// A plain-text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        if let Some(t) = self.thresholds {
            out.push_str(&format!(
                "thresholds: crisis {:.3}, overdose-now {:.3}\n",
                t.crisis, t.overdose_now
            ));
        }
        for ((language, way), tally) in &self.tallies {
            let language = language.map_or("all", |l| l.code());
            out.push_str(&format!(
                "{language:>3} {:<8} {}\n",
                format!("{way:?}").to_lowercase(),
                tally.line()
            ));
        }
        out
    }
}

/// The model's own decision, without the rules: crisis or overdose now at the thresholds, else its best
/// label.
fn model_alone(scores: &Scores, t: Thresholds) -> Classification {
    let od = scores.of(Label::OverdoseNow);
    if od >= t.overdose_now && od >= scores.crisis() {
        return Classification::overdose_now();
    }
    if scores.crisis() >= t.crisis {
        return Classification::crisis();
    }
    let best = scores.best();
    Classification {
        intent: best.intent(),
        urgent: best.urgent(),
        overdose_now: best == Label::OverdoseNow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORPUS: &str = "crisis\ten\tplain\ti want to end it all tonight\n\
        crisis\ten\tplain\tim done with life, wrote the letters\n\
        crisis-other\ten\tplain\tmy friend says she will end it\n\
        overdose-now\ten\tplain\the is not breathing and his lips are blue\n\
        overdose\ten\tplain\twhere do i get narcan\n\
        meeting\ten\tplain\tany aa meetings tonight\n\
        principle\ten\tplain\twhat does hope mean in recovery\n\
        reminder\ten\tplain\tremind me at 8am\n\
        other\ten\tplain\they how are you\n\
        other\ten\tplain\tthis traffic is killing me lol\n";

    fn small() -> Options {
        Options {
            bucket_bits: 12,
            epochs: 3,
            folds: 2,
            ..Options::default()
        }
    }

    #[test]
    fn the_same_corpus_gives_the_same_bytes() {
        let bot = Core::embedded().unwrap();
        let corpus = Corpus::from_texts([("a.tsv", CORPUS)]).unwrap();
        let once = train(&bot, &corpus, &small(), "test").model.to_bytes();
        let again = train(&bot, &corpus, &small(), "test").model.to_bytes();
        assert_eq!(once, again);
        let model = Model::from_bytes(&once).unwrap();
        assert_eq!(model.header().corpus_fingerprint, corpus.fingerprint());
        let t = model.header();
        assert!((0.005..=0.5).contains(&t.crisis_threshold), "{t:?}");
    }

    #[test]
    fn each_writer_stays_in_one_fold_and_the_folds_are_balanced() {
        let big = CORPUS.lines().take(6).collect::<Vec<_>>().join("\n");
        let small = CORPUS.lines().skip(6).collect::<Vec<_>>().join("\n");
        let corpus = Corpus::from_texts([
            ("a.tsv", big.as_str()),
            ("b.tsv", small.as_str()),
            ("c.tsv", CORPUS),
        ])
        .unwrap();
        let folds = writer_folds(&corpus.rows, 2);
        let fold_of = |file: &str| -> Vec<usize> {
            corpus
                .rows
                .iter()
                .zip(&folds)
                .filter(|(r, _)| r.origin.starts_with(file))
                .map(|(_, f)| *f)
                .collect()
        };
        let (a, b, c) = (fold_of("a.tsv"), fold_of("b.tsv"), fold_of("c.tsv"));
        assert!(a.iter().chain(&b).chain(&c).all(|&f| f < 2));
        for rows in [&a, &b, &c] {
            assert!(rows.iter().all(|f| *f == rows[0]), "{folds:?}");
        }
        // The largest file (10 rows) alone in one fold; the other two (6 and 4) together in the other.
        assert_ne!(c[0], a[0]);
        assert_eq!(a[0], b[0]);
    }

    #[test]
    fn a_trained_model_learns_its_corpus() {
        let bot = Core::embedded().unwrap();
        let corpus = Corpus::from_texts([("a.tsv", CORPUS)]).unwrap();
        let options = Options {
            epochs: 30,
            ..small()
        };
        let model = train(&bot, &corpus, &options, "test").model;
        let scores = model.score(&bot.model_input("im done with life, wrote the letters"));
        assert_eq!(scores.best(), Label::Crisis, "{scores:?}");
        let scores = model.score(&bot.model_input("any aa meetings tonight"));
        assert_eq!(scores.best(), Label::Meeting, "{scores:?}");
    }
}
