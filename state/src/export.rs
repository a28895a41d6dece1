//! The JSON export of a whole state: what backups hold and `rewind state export` prints.

use rewind_engine::state::{StateError, StateStore};
use serde_json::{Value, json};

use crate::codec::storage;

/// Version of the export document's shape.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// `{format_version, lineage, serial, records, journal[, runs]}`: records by name, journal
/// and runs by number, so two exports of the same state are byte-identical.
pub fn export(store: &(impl StateStore + ?Sized)) -> Result<Value, StateError> {
    let meta = store.meta()?;
    let records = store.list()?;
    let journal = store.journal()?;
    let records = serde_json::to_value(records).map_err(|e| storage("exporting records", e))?;
    let journal = serde_json::to_value(journal).map_err(|e| storage("exporting the journal", e))?;
    let mut doc = json!({
        "format_version": EXPORT_FORMAT_VERSION,
        "lineage": meta.lineage,
        "serial": meta.serial,
        "records": records,
        "journal": journal,
    });
    // Omitted when empty, so exports of states without runs read as they always did.
    let runs = store.runs()?;
    if !runs.is_empty() {
        doc["runs"] = serde_json::to_value(runs).map_err(|e| storage("exporting runs", e))?;
    }
    Ok(doc)
}
