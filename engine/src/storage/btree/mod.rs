//! SQLite's b-trees: table b-trees keyed by rowid and index b-trees keyed by records.

mod balance;
mod cell;
mod cursor;
mod integrity;
mod page;
mod scan;
mod tree;

pub use cursor::{Cursor, SeekOp};
pub use integrity::{integrity_check, TreeCheck};
pub use page::{PageKind, MAX_DEPTH};
pub use scan::{for_each_leaf_cell, table_leaves, LeafBatch};
pub use tree::{
    create_tree, drop_tree, index_append, index_delete, index_insert, table_delete, table_insert,
    tree_kind, TreeKind,
};
