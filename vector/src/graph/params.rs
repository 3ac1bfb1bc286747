//! Index parameters: the graph kind, metric and tuning knobs, their defaults, and the libSQL-style
//! option text (`'type=hnsw,metric=cosine,max_neighbors=16'`) they are parsed from and stored as.
//!
//! | option | alias | kind | range | default | trade-off |
//! |---|---|---|---|---|---|
//! | `type` | | both | `hnsw`, `diskann` | caller's | see the measurements in `examples/ann_bench.rs` |
//! | `metric` | | both | `cosine`, `l2`, `l2sq`, `dot` | `cosine` | |
//! | `max_neighbors` | `m` | both | `2..=256` | HNSW 16, DiskANN 48 | more: higher recall, more memory, slower inserts |
//! | `insert_l` | `ef_construction` | both | `1..=4096` | HNSW 200, DiskANN 128 | beam width while inserting: better graph, slower build |
//! | `search_l` | `ef_search` | both | `1..=100000` | HNSW 80, DiskANN 64 | default beam width of a query: recall against speed |
//! | `alpha` | | both | `1.0..=4.0` | HNSW 1.0, DiskANN 1.2 | robust-prune slack: above 1 keeps longer edges |
//! | `compress_neighbors` | | both | `float32`, `float16`, `floatb16`, `float8` | `float8` | the codes searches and inserts walk by (`graph/codes.rs`), re-ranked exactly: smaller is faster (queries and builds), with slightly lower recall at one `search_l` |
//! | `seed` | | both | any `u64` | `0x5eed` | seeds the level of each node (HNSW) |
//!
//! `compress_neighbors` defaults to `float8` because it was the fastest code at recall@10 ≥ 0.95
//! on both reference datasets (HNSW, single thread, Sapphire Rapids, `examples/ann_bench.rs`):
//! on debian-384 at `search_l=40` `float8` answered 1.6–1.7× the queries per second of
//! `float32` (recall 0.960 against 0.961), `float16` and `floatb16` 1.25–1.3×; on glove-50 at
//! `search_l=80` `float8` was 1.15× (`float16` 1.07×), recall 0.954 for all of them.

use std::fmt;

use crate::distance::Metric;
use crate::error::VectorError;
use crate::types::MAX_DIMS;

/// Which graph algorithm an index uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraphKind {
    /// Hierarchical navigable small world graph: random levels, upper layers for coarse routing,
    /// neighbours chosen by the HNSW heuristic (`alpha = 1`).
    Hnsw,
    /// Vamana (the graph of DiskANN): one layer, neighbours chosen by robust pruning with
    /// `alpha > 1` so that long edges survive, searches start at one fixed entry node.
    DiskAnn,
}

impl GraphKind {
    /// The option value: `hnsw` or `diskann`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            GraphKind::Hnsw => "hnsw",
            GraphKind::DiskAnn => "diskann",
        }
    }
}

impl fmt::Display for GraphKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The code type of the compact vector copies that searches walk the graph by (option
/// `compress_neighbors`); the beam is then re-ranked by exact `f32` distances. The persisted
/// records do not change: the codes are derived from the vectors in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// No codes: walks compute `f32` distances.
    Float32,
    /// IEEE half-precision codes (2 bytes per element).
    Float16,
    /// bfloat16 codes (2 bytes per element).
    BFloat16,
    /// Symmetric 8-bit integer codes with a scale per vector (1 byte per element, plus 8 bytes per
    /// vector). The name is libSQL's; its `FLOAT8` is an affine `u8` code.
    Float8,
}

impl Compression {
    /// The option value: `float32`, `float16`, `floatb16` or `float8` (libSQL's names).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Compression::Float32 => "float32",
            Compression::Float16 => "float16",
            Compression::BFloat16 => "floatb16",
            Compression::Float8 => "float8",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Compression::Float32, Compression::Float16, Compression::BFloat16, Compression::Float8]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The default `compress_neighbors` (measured, see the module docs).
pub const DEFAULT_COMPRESSION: Compression = Compression::Float8;

/// Largest accepted `max_neighbors` (HNSW keeps twice as many on layer 0).
pub const MAX_NEIGHBORS: usize = 256;
/// Largest accepted `insert_l`.
pub const MAX_INSERT_L: usize = 4096;
/// Largest accepted `search_l` (a query may still pass a larger one to [`search`]).
///
/// [`search`]: super::GraphIndex::search
pub const MAX_SEARCH_L: usize = 100_000;
/// Largest accepted `alpha`.
pub const MAX_ALPHA: f32 = 4.0;
const DEFAULT_SEED: u64 = 0x5eed;

/// The parameters of a [`GraphIndex`](super::GraphIndex). See the [module docs](self) for each
/// knob's range and trade-off.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexParams {
    /// The graph algorithm.
    pub kind: GraphKind,
    /// The distance that "nearest" refers to (`Hamming` is not supported for `f32` vectors).
    pub metric: Metric,
    /// Number of dimensions of every vector.
    pub dims: usize,
    /// HNSW: `M`, the neighbours kept per node on upper layers (layer 0 keeps `2 * M`);
    /// DiskANN: `R`, the neighbours kept per node.
    pub max_neighbors: usize,
    /// Beam width of the search that finds a new node's neighbours (HNSW `ef_construction`).
    pub insert_l: usize,
    /// Default beam width of a query (HNSW `ef`); a query may override it.
    pub search_l: usize,
    /// Robust-prune slack: a candidate `c` is dropped when an already chosen neighbour `r` has
    /// `alpha * d(r, c) < d(node, c)`. `1.0` is the HNSW heuristic; DiskANN uses `1.2`.
    pub alpha: f32,
    /// Seed of the level of each node (a hash of the seed and the key), so that builds are
    /// reproducible and independent of insertion order.
    pub seed: u64,
    /// The codes searches and inserts walk by (option `compress_neighbors`).
    pub compress_neighbors: Compression,
}

impl IndexParams {
    /// Measured defaults for `kind` (see the module docs), with `metric` and `dims` as given.
    #[must_use]
    pub fn new(kind: GraphKind, metric: Metric, dims: usize) -> Self {
        let (max_neighbors, insert_l, search_l, alpha) = match kind {
            GraphKind::Hnsw => (16, 200, 80, 1.0),
            GraphKind::DiskAnn => (48, 128, 64, 1.2),
        };
        IndexParams {
            kind,
            metric,
            dims,
            max_neighbors,
            insert_l,
            search_l,
            alpha,
            seed: DEFAULT_SEED,
            compress_neighbors: DEFAULT_COMPRESSION,
        }
    }

    /// Parses libSQL-style options: comma-separated `key=value` items, whitespace around items,
    /// keys and values tolerated, keys and values case-insensitive. `default_kind` applies when
    /// there is no `type=`; the defaults of [`IndexParams::new`] fill in every other missing key.
    ///
    /// ```
    /// use embedlite_vector::{GraphKind, IndexParams, Metric};
    /// let p = IndexParams::parse_options("metric=l2, max_neighbors=32", 8, GraphKind::Hnsw)?;
    /// assert_eq!((p.kind, p.metric, p.max_neighbors), (GraphKind::Hnsw, Metric::L2, 32));
    /// assert_eq!(IndexParams::parse_options(&p.to_options(), 8, GraphKind::DiskAnn)?, p);
    /// # Ok::<(), embedlite_vector::VectorError>(())
    /// ```
    pub fn parse_options(
        options: &str,
        dims: usize,
        default_kind: GraphKind,
    ) -> Result<Self, VectorError> {
        if dims == 0 {
            return Err(invalid("dims", "must be at least 1"));
        }
        if dims > MAX_DIMS {
            return Err(VectorError::TooManyDimensions { dims, max: MAX_DIMS });
        }
        // Collect first: `type` and `metric` decide the defaults the other keys override.
        let mut items: Vec<(Key, &str, &str)> = Vec::new();
        for item in options.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let Some((name, value)) = item.split_once('=') else {
                return Err(invalid(item, "expected key=value"));
            };
            let (name, value) = (name.trim(), value.trim());
            let key = Key::from_name(name).ok_or_else(|| invalid(name, "unknown option"))?;
            if let Some((_, earlier, _)) = items.iter().find(|(k, _, _)| *k == key) {
                return Err(invalid(name, format!("given twice (also as {earlier})")));
            }
            if value.is_empty() {
                return Err(invalid(name, "missing value"));
            }
            items.push((key, name, value));
        }
        let find = |key: Key| items.iter().find(|(k, _, _)| *k == key).map(|&(_, n, v)| (n, v));

        let kind = match find(Key::Type) {
            None => default_kind,
            Some((_, v)) if v.eq_ignore_ascii_case("hnsw") => GraphKind::Hnsw,
            Some((_, v)) if v.eq_ignore_ascii_case("diskann") => GraphKind::DiskAnn,
            Some((n, v)) => return Err(invalid(n, format!("{v:?} is not hnsw or diskann"))),
        };
        let metric = match find(Key::Metric) {
            None => Metric::Cosine,
            Some((n, v)) => match Metric::from_name(v) {
                Some(m) if m != Metric::Hamming => m,
                _ => return Err(invalid(n, format!("{v:?} is not cosine, l2, l2sq or dot"))),
            },
        };
        let mut p = IndexParams::new(kind, metric, dims);
        for &(key, name, value) in &items {
            match key {
                Key::Type | Key::Metric => {}
                Key::MaxNeighbors => p.max_neighbors = parse_int(name, value, 2, MAX_NEIGHBORS)?,
                Key::InsertL => p.insert_l = parse_int(name, value, 1, MAX_INSERT_L)?,
                Key::SearchL => p.search_l = parse_int(name, value, 1, MAX_SEARCH_L)?,
                Key::Alpha => {
                    let alpha: f32 = value
                        .parse()
                        .map_err(|_| invalid(name, format!("{value:?} is not a number")))?;
                    if !(1.0..=MAX_ALPHA).contains(&alpha) {
                        return Err(invalid(name, format!("{value} is not in 1.0..={MAX_ALPHA}")));
                    }
                    p.alpha = alpha;
                }
                Key::Seed => {
                    p.seed = value
                        .parse()
                        .map_err(|_| invalid(name, format!("{value:?} is not a u64")))?;
                }
                Key::Compress => {
                    p.compress_neighbors = Compression::from_name(value).ok_or_else(|| {
                        invalid(
                            name,
                            format!(
                                "{value:?} is not supported (float32, float16, floatb16 or float8)"
                            ),
                        )
                    })?;
                }
            }
        }
        Ok(p)
    }

    /// The canonical option text: every parameter except `dims`, in a fixed order, such that
    /// [`IndexParams::parse_options`] (with the same `dims`) gives back `self`.
    #[must_use]
    pub fn to_options(&self) -> String {
        format!(
            "type={},metric={},max_neighbors={},insert_l={},search_l={},alpha={},seed={},\
             compress_neighbors={}",
            self.kind,
            self.metric,
            self.max_neighbors,
            self.insert_l,
            self.search_l,
            self.alpha,
            self.seed,
            self.compress_neighbors
        )
    }

    /// Checks every field against the ranges that [`IndexParams::parse_options`] enforces.
    pub fn validate(&self) -> Result<(), VectorError> {
        if self.dims == 0 {
            return Err(invalid("dims", "must be at least 1"));
        }
        if self.dims > MAX_DIMS {
            return Err(VectorError::TooManyDimensions { dims: self.dims, max: MAX_DIMS });
        }
        if self.metric == Metric::Hamming {
            return Err(VectorError::UnsupportedMetric { metric: self.metric, element: "float32" });
        }
        let ranges = [
            ("max_neighbors", self.max_neighbors, 2, MAX_NEIGHBORS),
            ("insert_l", self.insert_l, 1, MAX_INSERT_L),
            ("search_l", self.search_l, 1, MAX_SEARCH_L),
        ];
        for (name, value, lo, hi) in ranges {
            if !(lo..=hi).contains(&value) {
                return Err(invalid(name, format!("{value} is not in {lo}..={hi}")));
            }
        }
        if !(1.0..=MAX_ALPHA).contains(&self.alpha) {
            return Err(invalid("alpha", format!("{} is not in 1.0..={MAX_ALPHA}", self.alpha)));
        }
        Ok(())
    }
}

/// The option keys, aliases folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Type,
    Metric,
    MaxNeighbors,
    InsertL,
    SearchL,
    Alpha,
    Seed,
    Compress,
}

impl Key {
    fn from_name(name: &str) -> Option<Key> {
        const NAMES: [(&str, Key); 11] = [
            ("type", Key::Type),
            ("metric", Key::Metric),
            ("max_neighbors", Key::MaxNeighbors),
            ("m", Key::MaxNeighbors),
            ("insert_l", Key::InsertL),
            ("ef_construction", Key::InsertL),
            ("search_l", Key::SearchL),
            ("ef_search", Key::SearchL),
            ("alpha", Key::Alpha),
            ("seed", Key::Seed),
            ("compress_neighbors", Key::Compress),
        ];
        NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|&(_, k)| k)
    }
}

fn invalid(option: &str, reason: impl Into<String>) -> VectorError {
    VectorError::InvalidIndexOption { option: option.to_owned(), reason: reason.into() }
}

fn parse_int(name: &str, value: &str, lo: usize, hi: usize) -> Result<usize, VectorError> {
    let n: usize =
        value.parse().map_err(|_| invalid(name, format!("{value:?} is not a whole number")))?;
    if !(lo..=hi).contains(&n) {
        return Err(invalid(name, format!("{n} is not in {lo}..={hi}")));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<IndexParams, VectorError> {
        IndexParams::parse_options(s, 16, GraphKind::DiskAnn)
    }

    fn err_option(s: &str) -> String {
        match parse(s) {
            Err(VectorError::InvalidIndexOption { option, .. }) => option,
            other => panic!("{s:?}: expected an option error, got {other:?}"),
        }
    }

    #[test]
    fn params_defaults_apply_when_no_options() {
        assert_eq!(
            parse("").expect("empty"),
            IndexParams::new(GraphKind::DiskAnn, Metric::Cosine, 16)
        );
        let p = IndexParams::parse_options(" ", 4, GraphKind::Hnsw).expect("blank");
        assert_eq!((p.kind, p.max_neighbors, p.alpha), (GraphKind::Hnsw, 16, 1.0));
    }

    #[test]
    fn params_parse_keys_aliases_and_whitespace() {
        let p = parse(" type = HNSW , metric=l2,m=24, ef_construction=50,ef_search=30 ,alpha=1.5,seed=7,compress_neighbors=float32,")
            .expect("valid");
        assert_eq!(
            p,
            IndexParams {
                kind: GraphKind::Hnsw,
                metric: Metric::L2,
                dims: 16,
                max_neighbors: 24,
                insert_l: 50,
                search_l: 30,
                alpha: 1.5,
                seed: 7,
                compress_neighbors: Compression::Float32,
            }
        );
        assert_eq!(parse("metric=dot").expect("dot").metric, Metric::Dot);
        assert_eq!(parse("max_neighbors=32").expect("r").max_neighbors, 32);
        assert_eq!(parse("").expect("default").compress_neighbors, DEFAULT_COMPRESSION);
        for (text, c) in [
            ("float32", Compression::Float32),
            ("FLOAT16", Compression::Float16),
            ("floatb16", Compression::BFloat16),
            (" float8 ", Compression::Float8),
        ] {
            let p = parse(&format!("compress_neighbors={text}")).expect("supported");
            assert_eq!(p.compress_neighbors, c);
        }
    }

    #[test]
    fn params_to_options_round_trips() {
        for kind in [GraphKind::Hnsw, GraphKind::DiskAnn] {
            for metric in [Metric::Cosine, Metric::L2, Metric::L2Squared, Metric::Dot] {
                let mut p = IndexParams::new(kind, metric, 16);
                assert_eq!(parse(&p.to_options()).expect("canonical"), p);
                p.alpha = 1.2345;
                p.seed = u64::MAX;
                p.max_neighbors = 7;
                assert_eq!(parse(&p.to_options()).expect("canonical"), p);
                for c in [
                    Compression::Float32,
                    Compression::Float16,
                    Compression::BFloat16,
                    Compression::Float8,
                ] {
                    p.compress_neighbors = c;
                    assert_eq!(parse(&p.to_options()).expect("canonical"), p);
                }
                assert_eq!(p.validate(), Ok(()));
            }
        }
    }

    #[test]
    fn params_errors_name_the_option() {
        assert_eq!(err_option("bogus=1"), "bogus");
        assert_eq!(err_option("type=ivf"), "type");
        assert_eq!(err_option("metric=hamming"), "metric");
        assert_eq!(err_option("max_neighbors=0"), "max_neighbors");
        assert_eq!(err_option("m=100000"), "m");
        assert_eq!(err_option("insert_l=-3"), "insert_l");
        assert_eq!(err_option("search_l=x"), "search_l");
        assert_eq!(err_option("alpha=0.5"), "alpha");
        assert_eq!(err_option("alpha=nan"), "alpha");
        assert_eq!(err_option("seed=-1"), "seed");
        assert_eq!(err_option("compress_neighbors=float1bit"), "compress_neighbors");
        assert_eq!(err_option("compress_neighbors=int8"), "compress_neighbors");
        assert_eq!(err_option("m=8,max_neighbors=9"), "max_neighbors");
        assert_eq!(err_option("metric"), "metric");
        assert_eq!(err_option("metric="), "metric");
        assert!(matches!(
            IndexParams::parse_options("", 0, GraphKind::Hnsw),
            Err(VectorError::InvalidIndexOption { .. })
        ));
        assert!(matches!(
            IndexParams::parse_options("", MAX_DIMS + 1, GraphKind::Hnsw),
            Err(VectorError::TooManyDimensions { .. })
        ));
        let msg = parse("compress_neighbors=float1bit").expect_err("unsupported").to_string();
        assert!(msg.contains("not supported"), "{msg}");
    }
}
