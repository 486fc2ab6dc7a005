//! The labelled corpus the model learns from: `label<TAB>lang<TAB>register<TAB>text` rows in `.tsv` files.

use std::path::{Path, PathBuf};

use crate::language::Language;
use crate::model::{Label, fingerprint};

/// One labelled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: Label,
    pub language: Language,
    /// The way it is written: discord, genz, aave, military, typos, ...
    pub register: String,
    pub text: String,
    /// The file name and line, for error messages and reports.
    pub origin: String,
}

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Row { origin: String, message: String },
    #[error("{0} holds no .tsv file")]
    Empty(PathBuf),
}

/// Every row of every `.tsv` file of one folder, and a fingerprint of those files.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub rows: Vec<Row>,
    fingerprint: u64,
}

impl Corpus {
    /// Reads the `.tsv` files of `dir`, in name order.
    pub fn load(dir: &Path) -> Result<Corpus, CorpusError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| CorpusError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|source| CorpusError::Read {
                path: dir.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(CorpusError::Empty(dir.to_path_buf()));
        }
        let mut files = Vec::with_capacity(paths.len());
        for path in &paths {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            files.push((name, read(path)?));
        }
        Corpus::from_texts(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// Parses files given as (name, text), in the order given.
    pub fn from_texts<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Corpus, CorpusError> {
        let mut rows = Vec::new();
        let mut bytes = Vec::new();
        for (name, text) in files {
            bytes.extend_from_slice(name.as_bytes());
            bytes.push(0);
            bytes.extend_from_slice(text.as_bytes());
            bytes.push(0);
            for (number, line) in text.lines().enumerate() {
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let origin = format!("{name}:{}", number + 1);
                rows.push(parse_row(line, origin)?);
            }
        }
        Ok(Corpus {
            rows,
            fingerprint: fingerprint(&bytes),
        })
    }

    /// The fingerprint of the files, as written in the weights file.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", self.fingerprint)
    }
}

fn parse_row(line: &str, origin: String) -> Result<Row, CorpusError> {
    let error = |message: String| CorpusError::Row {
        origin: origin.clone(),
        message,
    };
    let fields: Vec<&str> = line.split('\t').collect();
    let [label, lang, register, text] = fields[..] else {
        return Err(error(format!(
            "{} fields where label, lang, register and text are needed",
            fields.len()
        )));
    };
    let label =
        Label::from_name(label.trim()).ok_or_else(|| error(format!("unknown label {label:?}")))?;
    let language = Language::from_code(lang.trim())
        .ok_or_else(|| error(format!("unknown language {lang:?}")))?;
    if text.trim().is_empty() {
        return Err(error("the text is empty".into()));
    }
    Ok(Row {
        label,
        language,
        register: register.trim().to_string(),
        text: text.to_string(),
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_and_bad_ones_named() {
        let corpus = Corpus::from_texts([(
            "a.tsv",
            "# note\ncrisis\ten\tplain\tim done\n\nother\tes\tplain\thola\n",
        )])
        .unwrap();
        assert_eq!(corpus.rows.len(), 2);
        assert_eq!(corpus.rows[1].language, Language::Spanish);
        assert_eq!(corpus.rows[1].origin, "a.tsv:4");
        let err = Corpus::from_texts([("b.tsv", "sad\ten\tplain\thi\n")]).unwrap_err();
        assert_eq!(err.to_string(), "b.tsv:1: unknown label \"sad\"");
        let err = Corpus::from_texts([("b.tsv", "other\ten\thi\n")]).unwrap_err();
        assert!(err.to_string().contains("3 fields"), "{err}");
    }

    #[test]
    fn the_fingerprint_changes_with_any_byte() {
        let a = Corpus::from_texts([("a.tsv", "other\ten\tplain\thi\n")]).unwrap();
        let b = Corpus::from_texts([("a.tsv", "other\ten\tplain\thi!\n")]).unwrap();
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 16);
    }
}
