//! The `ensure_*` builders that `--simulate` uses to grow a healthy world from a spec.

use crate::world::{
    CbrBackup, CbrChildBackup, CbrServer, DcsBackup, DcsInstance, DdmBackup, DdmInstance,
    DdsBackup, DdsInstance, RdsBackup, RdsInstance, TaurusdbBackup, TaurusdbInstance, Window,
    World, name_or,
};

/// Backups made by the builders are an hour old, so they predate any sensible restore time.
const BACKUP_AGE_MS: i64 = 3_600_000;

/// Makes the windows cover `window`: an overlapping window is stretched to it, so a world
/// extended by every rehearsal command on a kept state keeps one window, not one per command.
fn cover(windows: &mut Vec<Window>, (a, b): (i64, i64)) {
    let (start, end) = (a.min(b), a.max(b));
    if let Some(w) = windows
        .iter_mut()
        .find(|w| w.start <= end && start <= w.end)
    {
        w.start = w.start.min(start);
        w.end = w.end.max(end);
    } else {
        windows.push(Window { start, end });
    }
}

/// The ID of the backup a rehearsal world makes up for `backup_id: latest` of `source`:
/// stable (the same source, the same backup, so a kept world holds it once) and shaped as
/// the service's list returns IDs: a UUID (DCS, CBR) or 32 hex characters plus `br01`.
pub fn made_up_backup_id(source: &str, uuid: bool) -> String {
    let h = crate::aksk::sha256_hex(format!("latest-backup/{source}").as_bytes());
    if uuid {
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    } else {
        format!("{}br01", &h[..32])
    }
}

impl World {
    fn backup_time(&self) -> i64 {
        self.now
            .unwrap_or_else(crate::timefmt::system_now_ms)
            .saturating_sub(BACKUP_AGE_MS)
    }

    /// An `ACTIVE` MySQL instance whose restorable windows cover `window`.
    pub fn ensure_rds_instance(&mut self, id: &str, window: (i64, i64)) {
        let inst = self
            .rds
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| RdsInstance {
                name: name_or("", "rds", id),
                ..RdsInstance::default()
            });
        cover(&mut inst.restore_windows, window);
    }

    /// A `COMPLETED` backup of `instance_id` (the instance is created, without windows, if
    /// missing).
    pub fn ensure_rds_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.rds
            .instances
            .entry(instance_id.to_owned())
            .or_insert_with(|| RdsInstance {
                name: name_or("", "rds", instance_id),
                ..RdsInstance::default()
            });
        let at = self.backup_time();
        self.rds
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| RdsBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                begin_time: at,
                end_time: at + 60_000,
                ..RdsBackup::default()
            });
    }

    /// A `RUNNING` DDM instance over `data_nodes` (each an RDS instance, created if missing).
    /// An instance with data nodes gets a schema, so it works as a source; one without is
    /// empty, so it works as a restore target.
    pub fn ensure_ddm_instance(&mut self, id: &str, data_nodes: &[String], window: (i64, i64)) {
        for dn in data_nodes {
            self.ensure_rds_instance(dn, window);
        }
        let inst = self
            .ddm
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| DdmInstance {
                name: name_or("", "ddm", id),
                schemas: if data_nodes.is_empty() {
                    Vec::new()
                } else {
                    vec![format!("db_{}", id.chars().take(6).collect::<String>())]
                },
                ..DdmInstance::default()
            });
        for dn in data_nodes {
            if !inst.data_nodes.contains(dn) {
                inst.data_nodes.push(dn.clone());
            }
        }
        cover(&mut inst.restore_windows, window);
    }

    /// A `normal` metadata backup of `instance_id` (created, empty, if missing).
    pub fn ensure_ddm_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.ddm
            .instances
            .entry(instance_id.to_owned())
            .or_insert_with(|| DdmInstance {
                name: name_or("", "ddm", instance_id),
                ..DdmInstance::default()
            });
        let at = self.backup_time();
        self.ddm
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| DdmBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                backup_type: "metadata".to_owned(),
                created: at,
                ..DdmBackup::default()
            });
    }

    /// An `ACTIVE` TaurusDB instance whose restorable windows cover `window`.
    pub fn ensure_taurusdb_instance(&mut self, id: &str, window: (i64, i64)) {
        let inst = self
            .taurusdb
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| TaurusdbInstance {
                name: name_or("", "taurusdb", id),
                ..TaurusdbInstance::default()
            });
        cover(&mut inst.restore_windows, window);
    }

    /// A `COMPLETED` TaurusDB backup of `instance_id`.
    pub fn ensure_taurusdb_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.taurusdb
            .instances
            .entry(instance_id.to_owned())
            .or_insert_with(|| TaurusdbInstance {
                name: name_or("", "taurusdb", instance_id),
                ..TaurusdbInstance::default()
            });
        let at = self.backup_time();
        self.taurusdb
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| TaurusdbBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                begin_time: at,
                end_time: at + 60_000,
                ..TaurusdbBackup::default()
            });
    }

    /// An `available` CBR backup: of a server (with `children` as its disk backups, each
    /// `(child backup id, volume id)`) when `server_id` or children are given, else of a disk.
    /// The server is created `ACTIVE` if missing.
    pub fn ensure_cbr_backup(
        &mut self,
        backup_id: &str,
        server_id: Option<&str>,
        volume_id: Option<&str>,
        children: &[(String, String)],
    ) {
        if let Some(server) = server_id {
            self.cbr
                .servers
                .entry(server.to_owned())
                .or_insert_with(|| CbrServer {
                    name: name_or("", "ecs", server),
                    ..CbrServer::default()
                });
        }
        let at = self.backup_time();
        let is_server = server_id.is_some() || !children.is_empty();
        let backup = self
            .cbr
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| {
                let resource_id = server_id
                    .or(volume_id)
                    .map_or_else(|| format!("resource-{backup_id}"), str::to_owned);
                CbrBackup {
                    name: name_or("", "backup", backup_id),
                    resource_name: name_or(
                        "",
                        if is_server { "ecs" } else { "volume" },
                        &resource_id,
                    ),
                    resource_id,
                    resource_type: if is_server {
                        "OS::Nova::Server"
                    } else {
                        "OS::Cinder::Volume"
                    }
                    .to_owned(),
                    created_at: at,
                    ..CbrBackup::default()
                }
            });
        for (child, volume) in children {
            if !backup.children.iter().any(|c| &c.id == child) {
                backup.children.push(CbrChildBackup {
                    id: child.clone(),
                    name: name_or("", "backup", child),
                    resource_id: volume.clone(),
                    ..CbrChildBackup::default()
                });
            }
        }
    }

    /// A `RUNNING` master/standby Redis instance.
    pub fn ensure_dcs_instance(&mut self, id: &str) {
        self.dcs
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| DcsInstance {
                name: name_or("", "dcs", id),
                ..DcsInstance::default()
            });
    }

    /// A `succeed`, restorable backup of `instance_id`.
    pub fn ensure_dcs_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.ensure_dcs_instance(instance_id);
        let at = self.backup_time();
        self.dcs
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| DcsBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                created_at: at,
                ..DcsBackup::default()
            });
    }

    /// A `normal` 4.0 replica set whose restorable windows cover `window` (so it supports
    /// point-in-time, database and collection restores).
    pub fn ensure_dds_instance(&mut self, id: &str, window: (i64, i64)) {
        let inst = self
            .dds
            .instances
            .entry(id.to_owned())
            .or_insert_with(|| DdsInstance {
                name: name_or("", "dds", id),
                ..DdsInstance::default()
            });
        cover(&mut inst.restore_windows, window);
    }

    /// A `COMPLETED` backup of `instance_id` (the instance is created, without windows, if
    /// missing).
    pub fn ensure_dds_backup(&mut self, instance_id: &str, backup_id: &str) {
        self.dds
            .instances
            .entry(instance_id.to_owned())
            .or_insert_with(|| DdsInstance {
                name: name_or("", "dds", instance_id),
                ..DdsInstance::default()
            });
        let at = self.backup_time();
        self.dds
            .backups
            .entry(backup_id.to_owned())
            .or_insert_with(|| DdsBackup {
                instance_id: instance_id.to_owned(),
                name: name_or("", "backup", backup_id),
                begin_time: at,
                end_time: at + 60_000,
                ..DdsBackup::default()
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ensuring_twice_is_harmless_and_extends_windows() {
        let mut w = World::healthy(10_000_000);
        w.ensure_ddm_instance("d1in09", &["r1in01".to_owned()], (1_000, 2_000));
        let once = w.clone();
        w.ensure_ddm_instance("d1in09", &["r1in01".to_owned()], (1_000, 2_000));
        assert_eq!(w, once);
        w.ensure_rds_instance("r1in01", (5_000, 6_000));
        assert_eq!(w.rds.instances["r1in01"].restore_windows.len(), 2);
        // A later run of a kept world: the window reaching "now" grows, no second one.
        w.ensure_rds_instance("r1in01", (5_500, 7_000));
        assert_eq!(
            w.rds.instances["r1in01"].restore_windows[1],
            Window {
                start: 5_000,
                end: 7_000
            }
        );
        assert_eq!(w.rds.instances["r1in01"].restore_windows.len(), 2);
        assert_eq!(
            w.ddm.instances["d1in09"].data_nodes,
            vec!["r1in01".to_owned()]
        );
        assert!(!w.ddm.instances["d1in09"].schemas.is_empty());
        w.ensure_ddm_instance("d2in09", &[], (1_000, 2_000));
        assert!(w.ddm.instances["d2in09"].schemas.is_empty());
        assert!(w.validate().is_ok());
    }

    #[test]
    fn a_later_overlapping_window_stretches_the_one_there() {
        let mut w = World::healthy(10_000_000);
        w.ensure_rds_instance("r1in01", (1_000, 5_000));
        w.ensure_rds_instance("r1in01", (1_000, 7_000));
        w.ensure_rds_instance("r1in01", (500, 6_000));
        let windows = &w.rds.instances["r1in01"].restore_windows;
        assert_eq!(windows.len(), 1, "{windows:?}");
        assert_eq!((windows[0].start, windows[0].end), (500, 7_000));
    }

    #[test]
    fn cbr_backups_get_children_and_servers() {
        let mut w = World::healthy(0);
        let kids = [("c1".to_owned(), "v1".to_owned())];
        w.ensure_cbr_backup("b1", Some("s1"), None, &kids);
        w.ensure_cbr_backup("b1", Some("s1"), None, &kids);
        let b = &w.cbr.backups["b1"];
        assert_eq!(b.resource_type, "OS::Nova::Server");
        assert_eq!(b.children.len(), 1);
        assert_eq!(w.cbr.servers["s1"].status, "ACTIVE");
        w.ensure_cbr_backup("b2", None, Some("v9"), &[]);
        assert_eq!(w.cbr.backups["b2"].resource_type, "OS::Cinder::Volume");
        w.ensure_dcs_backup("i1", "bk1");
        assert_eq!(w.dcs.instances["i1"].status, "RUNNING");
        w.ensure_dds_instance("m1in02", (1_000, 2_000));
        w.ensure_dds_backup("m1in02", "mb1");
        w.ensure_dds_backup("m2in02", "mb2");
        assert_eq!(w.dds.instances["m1in02"].restore_windows.len(), 1);
        assert_eq!(w.dds.instances["m2in02"].mode, "ReplicaSet");
        assert!(w.validate().is_ok());
    }
}
