//! Distance kernel throughput: embedlite's SIMD kernels (`Kernel::<T>::new`, simsimd) against the
//! scalar reference kernels they are tested against (`Kernel::<T>::reference`), for every metric
//! (cosine, L2, squared L2, negated dot; Hamming for bits) and element type (f32, f64, f16, bf16,
//! i8, 1-bit) at 128, 384, 768 and 1536 dimensions.
//!
//! One iteration computes the distances from one query to a block of [`BLOCK`] stored vectors (the
//! shape of a brute-force scan), so criterion's throughput is in vector pairs per second. The table
//! printed at the end gives nanoseconds per pair for both kernels and the speed-up
//! (reference / SIMD). `cargo bench -p embedlite-bench --bench distance -- f32` runs a subset.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, BenchmarkGroup, Criterion, Throughput};
use embedlite_bench::median_ns;
use embedlite_vector::{BitKernel, Element, Kernel, Metric};
use half::{bf16, f16};
use rand::{Rng, SeedableRng};

/// Dimensions measured.
const DIMS: [usize; 4] = [128, 384, 768, 1536];
/// Stored vectors per iteration: large enough to amortise the loop, small enough to stay in cache
/// (64 × 1536 × 8 bytes = 768 KiB for f64).
const BLOCK: usize = 64;
/// The metrics of the float and int8 kernels.
const METRICS: [Metric; 4] = [Metric::Cosine, Metric::L2, Metric::L2Squared, Metric::Dot];
/// Element type labels, in the order of the table.
const TYPES: [&str; 6] = ["f32", "f64", "f16", "bf16", "i8", "1bit"];

fn group_name(ty: &str, metric: Metric, dims: usize) -> String {
    // No `/` in the name: criterion turns it into `_` in its directory names, which
    // `median_ns` reads back.
    format!("distance-{ty}-{}-{dims}", metric.name())
}

/// `BLOCK + 1` seeded random vectors of `dims` elements (the first one is the query).
fn random_f32(seed: u64, dims: usize) -> Vec<Vec<f32>> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    (0..=BLOCK).map(|_| (0..dims).map(|_| rng.gen_range(-1.0f32..1.0)).collect()).collect()
}

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(150))
        .measurement_time(Duration::from_millis(400))
        .throughput(Throughput::Elements(BLOCK as u64));
}

/// Measures `Kernel::<T>::new` against `Kernel::<T>::reference` for every metric and dimension.
fn bench_type<T: Element>(c: &mut Criterion, ty: &str, convert: impl Fn(f32) -> T) {
    for dims in DIMS {
        let vectors: Vec<Vec<T>> = random_f32(dims as u64, dims)
            .into_iter()
            .map(|v| v.into_iter().map(&convert).collect())
            .collect();
        let (query, block) = vectors.split_first().expect("BLOCK + 1 vectors");
        for metric in METRICS {
            let mut g = c.benchmark_group(group_name(ty, metric, dims));
            configure(&mut g);
            let kernels = [
                ("simd", Kernel::<T>::new(metric, dims).expect("metric defined for T")),
                ("reference", Kernel::<T>::reference(metric, dims).expect("metric defined for T")),
            ];
            for (name, kernel) in kernels {
                g.bench_function(name, |b| {
                    b.iter(|| {
                        let mut sum = 0.0;
                        for v in block {
                            sum += kernel.distance(black_box(query), black_box(v));
                        }
                        sum
                    });
                });
            }
            g.finish();
        }
    }
}

/// Packs the signs of `v` into bits (element `i` in bit `i % 8` of byte `i / 8`), as `F1Bit`.
fn sign_bits(v: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; v.len().div_ceil(8)];
    for (i, x) in v.iter().enumerate() {
        if *x > 0.0 {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

fn bench_bits(c: &mut Criterion) {
    for dims in DIMS {
        let vectors: Vec<Vec<u8>> =
            random_f32(dims as u64, dims).iter().map(|v| sign_bits(v)).collect();
        let (query, block) = vectors.split_first().expect("BLOCK + 1 vectors");
        let mut g = c.benchmark_group(group_name("1bit", Metric::Hamming, dims));
        configure(&mut g);
        let kernels = [
            ("simd", BitKernel::new(Metric::Hamming, dims)),
            ("reference", BitKernel::reference(Metric::Hamming, dims)),
        ];
        for (name, kernel) in kernels {
            g.bench_function(name, |b| {
                b.iter(|| {
                    let mut sum = 0.0;
                    for v in block {
                        sum += kernel.distance(black_box(query), black_box(v));
                    }
                    sum
                });
            });
        }
        g.finish();
    }
}

fn bench(c: &mut Criterion) {
    bench_type::<f32>(c, "f32", |x| x);
    bench_type::<f64>(c, "f64", f64::from);
    bench_type::<f16>(c, "f16", f16::from_f32);
    bench_type::<bf16>(c, "bf16", bf16::from_f32);
    // int8 codes: the float scaled to -127..=127, as a quantizer would.
    bench_type::<i8>(c, "i8", |x| (x * 127.0).round() as i8);
    bench_bits(c);
}

criterion_group!(benches, bench);

/// One line per measured case: ns per vector pair for both kernels and reference / SIMD.
fn print_table() {
    println!(
        "\n{:<6} {:<8} {:>6} {:>12} {:>14} {:>9}",
        "type", "metric", "dims", "simd ns/pair", "reference ns", "speed-up"
    );
    for ty in TYPES {
        let metrics: &[Metric] = if ty == "1bit" { &[Metric::Hamming] } else { &METRICS };
        for &metric in metrics {
            for dims in DIMS {
                let g = group_name(ty, metric, dims);
                if let (Some(s), Some(r)) = (median_ns(&g, "simd"), median_ns(&g, "reference")) {
                    let (s, r) = (s / BLOCK as f64, r / BLOCK as f64);
                    println!(
                        "{ty:<6} {:<8} {dims:>6} {s:>12.1} {r:>14.1} {:>8.1}x",
                        metric.name(),
                        r / s
                    );
                }
            }
        }
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_table();
}
