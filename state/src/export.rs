//! The JSON export of a whole state: what backups hold and `rewind state export` prints.

use rewind_engine::state::{StateError, StateStore};
use serde_json::{Value, json};

use crate::codec::storage;

/// Version of the export document's shape.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// `{format_version, lineage, serial, records, journal}`: records by name, journal by
/// serial, so two exports of the same state are byte-identical.
pub fn export(store: &(impl StateStore + ?Sized)) -> Result<Value, StateError> {
    let meta = store.meta()?;
    let records = store.list()?;
    let journal = store.journal()?;
    let records = serde_json::to_value(records).map_err(|e| storage("exporting records", e))?;
    let journal = serde_json::to_value(journal).map_err(|e| storage("exporting the journal", e))?;
    Ok(json!({
        "format_version": EXPORT_FORMAT_VERSION,
        "lineage": meta.lineage,
        "serial": meta.serial,
        "records": records,
        "journal": journal,
    }))
}
