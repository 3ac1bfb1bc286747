//! The corpus on disk: finding its files, fixing the two things in SQLite's files that the
//! `sqllogictest` crate's parser reads differently, and parsing them.
//!
//! 1. `skipif mysql # not compatible`: the crate rejects a comment after a condition; it is cut.
//! 2. `onlyif mssql` + `halt`: SQLite's runner halts only if the condition holds; the crate halts
//!    always and lets the condition leak onto the next record. Conditional halts are resolved
//!    here for the engine name `sqlite`: a halt that applies keeps its `halt` line, one that does
//!    not disappears. Resolved lines become comments, so line numbers stay those of the file.

use std::path::{Path, PathBuf};

use sqllogictest::{DefaultColumnType, Record};

/// The engine name conditions are resolved for (see `SltDb::engine_name`).
const ENGINE: &str = "sqlite";

/// One `.test` file of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    pub path: PathBuf,
    /// Path relative to the corpus folder, with `/`: the name in the table and the baseline.
    pub rel: String,
    pub size: u64,
}

/// Every `*.test` file under `dir`, sorted by relative path.
pub fn list(dir: &Path) -> std::io::Result<Vec<CorpusFile>> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<CorpusFile>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let meta = entry.metadata()?;
            if meta.is_dir() {
                walk(&path, root, out)?;
            } else if path.extension().is_some_and(|e| e == "test") {
                let rel = path
                    .strip_prefix(root)
                    .expect("walked from root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(CorpusFile { path, rel, size: meta.len() });
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(files)
}

/// A condition line's label and whether the record it guards runs for [`ENGINE`].
fn condition(line: &str) -> Option<bool> {
    let mut words = line.split_whitespace();
    let kind = words.next()?;
    let label = words.next()?;
    match kind {
        "onlyif" => Some(label == ENGINE),
        "skipif" => Some(label != ENGINE),
        _ => None,
    }
}

/// Applies the two fixes of the module comment.
pub fn preprocess(text: &str) -> String {
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            let is_condition = line.starts_with("skipif") || line.starts_with("onlyif");
            match line.find('#') {
                Some(hash) if is_condition => line[..hash].trim_end().to_owned(),
                _ => line.to_owned(),
            }
        })
        .collect();
    for i in 0..lines.len() {
        if lines[i].trim() != "halt" {
            continue;
        }
        let mut first = i;
        let mut applies = true;
        while first > 0 {
            match condition(&lines[first - 1]) {
                Some(runs) => {
                    applies &= runs;
                    first -= 1;
                }
                None => break,
            }
        }
        for line in &mut lines[first..i] {
            *line = format!("# resolved for {ENGINE}: {line}");
        }
        if !applies {
            lines[i] = format!("# resolved for {ENGINE}: halt (condition does not hold)");
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Reads, fixes and parses one file; record locations name it by `rel`.
pub fn load(file: &CorpusFile) -> Result<Vec<Record<DefaultColumnType>>, String> {
    let text =
        std::fs::read_to_string(&file.path).map_err(|e| format!("{}: {e}", file.path.display()))?;
    sqllogictest::parse_with_name(&preprocess(&text), file.rel.as_str())
        .map_err(|e| format!("{}: {e}", file.rel))
}

/// The line of a `statement` or `query` record; `None` for every other record. Only these
/// records are counted as passed, failed or skipped.
pub fn counted_line(record: &Record<DefaultColumnType>) -> Option<u32> {
    match record {
        Record::Statement { loc, .. } | Record::Query { loc, .. } => Some(loc.line()),
        _ => None,
    }
}

/// The lines of the counted records, in order: record `k` of a file's results is line `[k]`.
pub fn counted_lines(records: &[Record<DefaultColumnType>]) -> Vec<u32> {
    records.iter().filter_map(counted_line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditional_halts_are_resolved() {
        let text = "onlyif mssql # comment\nhalt\n\nskipif mysql # not compatible\n\
                    query I nosort\nSELECT 1\n----\n1\n\nonlyif sqlite\nhalt\n";
        let out = preprocess(text);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("# resolved"), "{out}");
        assert!(lines[1].starts_with("# resolved"), "{out}");
        assert_eq!(lines[3], "skipif mysql");
        assert!(lines[9].starts_with("# resolved"), "{out}");
        assert_eq!(lines[10], "halt");
        let records: Vec<Record<DefaultColumnType>> =
            sqllogictest::parse(&out).expect("parses after the fixes");
        assert_eq!(counted_lines(&records), vec![5]);
        assert!(records.iter().any(|r| matches!(r, Record::Halt { .. })));
    }
}
