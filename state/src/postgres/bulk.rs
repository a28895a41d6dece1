//! The PostgreSQL state's `Backend` side: batches of transitions, backups and imports.

use rewind_engine::state::{OpRecord, StateError, StateStore};

use super::{PgState, pg_err, status_text};
use crate::backend::{Backend, ExportDoc, check_empty};
use crate::codec::{self, storage};

impl PgState {
    /// One statement, so one transaction and one commit: all of the batch or none of it.
    pub(super) fn write_batch(
        &mut self,
        batch: &[(&OpRecord, &str)],
    ) -> Result<Vec<u64>, StateError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut names = Vec::with_capacity(batch.len());
        let mut data = Vec::with_capacity(batch.len());
        let mut to = Vec::with_capacity(batch.len());
        let mut notes = Vec::with_capacity(batch.len());
        for (record, note) in batch {
            names.push(record.name.clone());
            data.push(
                String::from_utf8(codec::encode_record(record)?)
                    .map_err(|e| storage("encoding a state record", e))?,
            );
            to.push(status_text(record.status));
            notes.push((*note).to_owned());
        }
        let at = codec::now_ms();
        let count = batch.len() as u64;
        let written: Vec<(String, String)> = names.iter().cloned().zip(data.clone()).collect();
        let last = self.call(move |c| async move {
            let row = c
                .data
                .query_one(
                    &c.hot.write_many,
                    &[&c.workspace, &c.lock_id, &names, &data, &to, &notes, &at],
                )
                .await
                .map_err(|e| pg_err("writing state", &e))?;
            Ok(row.get::<_, i64>(0) as u64)
        });
        let last = match last {
            Ok(last) => last,
            Err(e) => {
                self.records.forget();
                return Err(e);
            }
        };
        for (name, text) in written {
            self.records.wrote(&name, Some(text));
        }
        Ok((last + 1 - count..=last).collect())
    }
}

impl Backend for PgState {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn lock_lost(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        Some(PgState::lock_lost(self))
    }

    fn backup(&mut self) -> Result<String, StateError> {
        let doc = crate::export::export(self)?;
        let serial = self.meta()?.serial as i64;
        let data = serde_json::to_string(&doc).map_err(|e| storage("encoding a backup", e))?;
        let keep = crate::BACKUPS_KEPT as i64;
        let at = codec::now_ms();
        let id = self.call(move |c| async move {
            let row = c
                .data
                .query_one(
                    "INSERT INTO rewind_backups (workspace, serial, at, data) VALUES ($1, $2, $3, $4) \
                     RETURNING id",
                    &[&c.workspace, &serial, &at, &data],
                )
                .await
                .map_err(|e| pg_err("writing a backup", &e))?;
            c.data
                .execute(
                    "DELETE FROM rewind_backups WHERE workspace = $1 AND id NOT IN \
                     (SELECT id FROM rewind_backups WHERE workspace = $1 ORDER BY id DESC LIMIT $2)",
                    &[&c.workspace, &keep],
                )
                .await
                .map_err(|e| pg_err("pruning backups", &e))?;
            Ok(row.get::<_, i64>(0))
        })?;
        Ok(format!("rewind_backups id {id}"))
    }

    fn import(&mut self, doc: &serde_json::Value) -> Result<(), StateError> {
        let doc = ExportDoc::parse(doc)?;
        check_empty(self)?;
        self.records.forget();
        let records = doc
            .records
            .iter()
            .map(|r| {
                Ok((
                    r.name.clone(),
                    String::from_utf8(codec::encode_record(r)?)
                        .map_err(|e| storage("encoding", e))?,
                    status_text(r.status),
                ))
            })
            .collect::<Result<Vec<_>, StateError>>()?;
        let runs = doc
            .runs
            .iter()
            .map(|r| {
                Ok((
                    r.id as i64,
                    String::from_utf8(codec::encode_run(r)?).map_err(|e| storage("encoding", e))?,
                ))
            })
            .collect::<Result<Vec<_>, StateError>>()?;
        let journal = doc.journal;
        let (lineage, serial) = (doc.lineage, doc.serial as i64);
        self.call(move |c| async move {
            let ctx = |e: tokio_postgres::Error| pg_err("importing state", &e);
            let db = &c.data;
            db.batch_execute("BEGIN").await.map_err(ctx)?;
            let result = async {
                db.execute(
                    "UPDATE rewind_workspaces SET lineage = $2, serial = $3 WHERE name = $1",
                    &[&c.workspace, &lineage, &serial],
                )
                .await
                .map_err(ctx)?;
                for (name, data, status) in &records {
                    db.execute(
                        "INSERT INTO rewind_records (workspace, name, data, status) \
                         VALUES ($1, $2, $3, $4)",
                        &[&c.workspace, name, data, status],
                    )
                    .await
                    .map_err(ctx)?;
                }
                for j in &journal {
                    db.execute(
                        "INSERT INTO rewind_journal (workspace, serial, at, name, from_status, to_status, note) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        &[
                            &c.workspace,
                            &(j.serial as i64),
                            &j.at,
                            &j.name,
                            &j.from.map(status_text),
                            &j.to.map(status_text),
                            &j.note,
                        ],
                    )
                    .await
                    .map_err(ctx)?;
                }
                for (id, data) in &runs {
                    db.execute(
                        "INSERT INTO rewind_runs (workspace, id, data) VALUES ($1, $2, $3)",
                        &[&c.workspace, id, data],
                    )
                    .await
                    .map_err(ctx)?;
                }
                Ok(())
            }
            .await;
            let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
            let ended = db.batch_execute(end).await.map_err(ctx);
            result.and(ended)
        })
    }
}
