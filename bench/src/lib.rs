//! Shared helpers of embedlite's benchmarks: reading criterion's estimates back and printing
//! embedlite/reference ratios, so that every number is seen beside the reference system's.

use std::path::{Path, PathBuf};

/// Where criterion writes its results (`CARGO_TARGET_DIR` aware).
#[must_use]
pub fn criterion_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target"),
        PathBuf::from,
    );
    target.join("criterion")
}

/// The median time (ns) criterion measured for `group/function`, if present.
#[must_use]
pub fn median_ns(group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir().join(group).join(function).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("median")?.get("point_estimate")?.as_f64()
}

/// Prints one line per group: embedlite's median, the reference's, and their ratio
/// (embedlite / reference: below 1 means embedlite is faster).
pub fn print_ratios(groups: &[&str], ours: &str, reference: &str) {
    println!("\n{:<28} {:>14} {:>14} {:>8}", "benchmark", ours, reference, "ratio");
    for g in groups {
        match (median_ns(g, ours), median_ns(g, reference)) {
            (Some(a), Some(b)) => {
                println!("{:<28} {:>12.2}ms {:>12.2}ms {:>7.2}x", g, a / 1e6, b / 1e6, a / b);
            }
            _ => println!("{g:<28} (no estimates)"),
        }
    }
}
