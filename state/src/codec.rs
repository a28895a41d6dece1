//! Bytes on disk to typed values and back; every decode failure becomes `StateError::Corrupt`.

use rewind_engine::state::{JournalEntry, OpRecord, RECORD_VERSION, RunEntry, StateError, Status};
use serde::{Deserialize, Serialize};

/// Version of the meta document's shape, kept apart from the record version because the two
/// evolve independently.
pub(crate) const META_VERSION: u32 = 1;

/// Name that `Corrupt` errors use for the meta document.
pub(crate) const META_NAME: &str = "(state meta)";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MetaDoc {
    pub format_version: u32,
    pub lineage: String,
    pub serial: u64,
}

pub(crate) fn corrupt(name: impl Into<String>, reason: impl Into<String>) -> StateError {
    StateError::Corrupt {
        name: name.into(),
        reason: reason.into(),
    }
}

pub(crate) fn storage(context: &str, err: impl std::fmt::Display) -> StateError {
    StateError::Storage(format!("{context}: {err}"))
}

pub(crate) fn encode_record(record: &OpRecord) -> Result<Vec<u8>, StateError> {
    // Writing a version this build cannot read back would turn a bug into a corrupt state.
    if record.version != RECORD_VERSION {
        return Err(StateError::Storage(format!(
            "refusing to write record {:?} with version {} (this build writes version \
             {RECORD_VERSION})",
            record.name, record.version
        )));
    }
    serde_json::to_vec(record).map_err(|e| storage("encoding a state record", e))
}

pub(crate) fn decode_record(name: &str, bytes: &[u8]) -> Result<OpRecord, StateError> {
    #[derive(Deserialize)]
    struct VersionProbe {
        version: u32,
    }
    // The version is read first so that a record from a newer rewind is reported as such,
    // not as whichever field happened to change shape.
    let probe: VersionProbe =
        serde_json::from_slice(bytes).map_err(|e| corrupt(name, e.to_string()))?;
    if probe.version != RECORD_VERSION {
        return Err(corrupt(
            name,
            format!(
                "record version {} is not supported (this build reads version {RECORD_VERSION})",
                probe.version
            ),
        ));
    }
    let record: OpRecord =
        serde_json::from_slice(bytes).map_err(|e| corrupt(name, e.to_string()))?;
    if record.name != name {
        return Err(corrupt(
            name,
            format!("record names itself {:?}", record.name),
        ));
    }
    Ok(record)
}

/// The status of a stored record, if it can be read at all. Used only for the journal's
/// `from`: an unreadable record must stay removable and overwritable, so this never fails.
pub(crate) fn status_of(bytes: &[u8]) -> Option<Status> {
    #[derive(Deserialize)]
    struct StatusProbe {
        status: Status,
    }
    serde_json::from_slice::<StatusProbe>(bytes)
        .ok()
        .map(|p| p.status)
}

pub(crate) fn record_key(key: &[u8]) -> Result<&str, StateError> {
    std::str::from_utf8(key).map_err(|e| {
        corrupt(
            String::from_utf8_lossy(key),
            format!("key is not UTF-8: {e}"),
        )
    })
}

pub(crate) fn encode_journal(entry: &JournalEntry) -> Result<Vec<u8>, StateError> {
    serde_json::to_vec(entry).map_err(|e| storage("encoding a journal entry", e))
}

pub(crate) fn journal_key(serial: u64) -> [u8; 8] {
    // Big-endian so that sled's byte order is numeric order.
    serial.to_be_bytes()
}

pub(crate) fn decode_journal(key: &[u8], bytes: &[u8]) -> Result<JournalEntry, StateError> {
    let Ok(raw) = <[u8; 8]>::try_from(key) else {
        return Err(corrupt(
            "(journal)",
            format!("journal key has {} bytes, not 8", key.len()),
        ));
    };
    let serial = u64::from_be_bytes(raw);
    let name = format!("(journal entry {serial})");
    let entry: JournalEntry =
        serde_json::from_slice(bytes).map_err(|e| corrupt(&*name, e.to_string()))?;
    if entry.serial != serial {
        return Err(corrupt(name, format!("entry says serial {}", entry.serial)));
    }
    Ok(entry)
}

pub(crate) fn encode_meta(meta: &MetaDoc) -> Result<Vec<u8>, StateError> {
    serde_json::to_vec(meta).map_err(|e| storage("encoding state meta", e))
}

pub(crate) fn decode_meta(bytes: &[u8]) -> Result<MetaDoc, StateError> {
    let meta: MetaDoc =
        serde_json::from_slice(bytes).map_err(|e| corrupt(META_NAME, e.to_string()))?;
    if meta.format_version != META_VERSION {
        return Err(corrupt(
            META_NAME,
            format!(
                "meta version {} is not supported (this build reads version {META_VERSION})",
                meta.format_version
            ),
        ));
    }
    Ok(meta)
}

pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

pub(crate) fn encode_run(run: &RunEntry) -> Result<Vec<u8>, StateError> {
    serde_json::to_vec(run).map_err(|e| storage("encoding a run", e))
}

pub(crate) fn decode_run(bytes: &[u8]) -> Result<RunEntry, StateError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt("(run)", e.to_string()))
}
