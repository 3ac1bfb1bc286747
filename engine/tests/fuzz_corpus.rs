//! Replays the fuzz corpus (`fuzz/corpus/open_and_walk/`: small real database images and every
//! input the fuzzer found that once crashed or hung) through the walk of `common`: each must
//! finish within the time limit without panicking. Whatever errors it returns are fine.
//!
//! `cargo test -p embedlite --test fuzz_corpus -- --ignored` regenerates the seed images.

mod common;

use std::path::PathBuf;

use common::{walk_image, WALK_LIMIT};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/open_and_walk")
}

#[test]
fn every_corpus_file_walks_without_panic_or_hang() {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the corpus in {} has its seed images", dir.display());
    let mut clean = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let w = walk_image(bytes, WALK_LIMIT, &path.display().to_string());
        if w.is_clean() {
            clean += 1;
        }
    }
    println!("{} corpus files walked, {clean} of them clean", files.len());
    assert!(clean >= 5, "the seed images walk clean");
}

/// The seed images: small databases (a few KB) made by embedlite and by real SQLite, with
/// overflow pages, indexes and a freelist.
#[test]
#[ignore = "writes the seed images into fuzz/corpus; run by hand after a format change"]
fn regenerate_seed_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).expect("creating the corpus directory");
    let seeds = [
        ("seed-embedlite-512-empty.db", common::embedlite_image(512, 0)),
        ("seed-embedlite-512.db", common::embedlite_image(512, 25)),
        ("seed-embedlite-1024.db", common::embedlite_image(1024, 30)),
        ("seed-sqlite-512.db", common::sqlite_image(512, 25)),
        ("seed-sqlite-1024.db", common::sqlite_image(1024, 30)),
    ];
    for (name, image) in seeds {
        assert!(common::open_and_walk(&image).is_clean(), "{name} walks clean");
        std::fs::write(dir.join(name), &image).expect("writing a seed image");
        let free = common::freelist_count(&image);
        println!("{name}: {} bytes, {free} freelist pages", image.len());
    }
}
