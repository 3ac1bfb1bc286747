#![allow(missing_docs, clippy::pedantic)]
use std::time::Instant;
use embedlite_vector::{Kernel, Metric};
fn dot_rust(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, ra) = a.as_chunks::<16>();
    let (cb, rb) = b.as_chunks::<16>();
    for (x, y) in ca.iter().zip(cb) { for i in 0..16 { acc[i] += x[i] * y[i]; } }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) { s += x * y; }
    s
}
fn main() {
    for dims in [50usize, 384] {
        let n = 1000;
        let data: Vec<f32> = (0..n * dims).map(|i| ((i * 7919 % 1000) as f32) / 1000.0).collect();
        let q: Vec<f32> = data[..dims].to_vec();
        for m in [Metric::Dot, Metric::L2Squared, Metric::Cosine] {
            let k = Kernel::<f32>::new(m, dims).unwrap();
            let t = Instant::now(); let mut s = 0.0;
            for _ in 0..400 { for i in 0..n { s += k.distance(&q, &data[i*dims..(i+1)*dims]); } }
            println!("dims {dims} simsimd {m}: {:.1} ns  ({s})", t.elapsed().as_nanos() as f64 / (400*n) as f64);
        }
        let t = Instant::now(); let mut s = 0.0;
        for _ in 0..400 { for i in 0..n { s += dot_rust(&q, &data[i*dims..(i+1)*dims]); } }
        println!("dims {dims} rust dot: {:.1} ns ({s})", t.elapsed().as_nanos() as f64 / (400*n) as f64);
    }
}
