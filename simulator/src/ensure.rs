//! What the `ensure_*` builders share: window covering, backup times, made-up backup IDs.
//
// The builders that `--simulate` uses to grow a healthy world from a spec live with each
// service's collections (`world/<svc>.rs`, `impl World { fn ensure_<svc>_… }`).

use crate::world::{Window, World};

/// Backups made by the builders are an hour old, so they predate any sensible restore time.
const BACKUP_AGE_MS: i64 = 3_600_000;

/// Makes the windows cover `window`: an overlapping window is stretched to it, so a world
/// extended by every rehearsal command on a kept state keeps one window, not one per command.
pub(crate) fn cover(windows: &mut Vec<Window>, (a, b): (i64, i64)) {
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
    /// When the builders' backups were taken: an hour before the world's now.
    pub(crate) fn backup_time(&self) -> i64 {
        self.now
            .unwrap_or_else(crate::timefmt::system_now_ms)
            .saturating_sub(BACKUP_AGE_MS)
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
