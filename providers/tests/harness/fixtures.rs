//! Fixture IDs (from the API pages' examples), one spec builder per kind, and a healthy world.

use super::{now, world};
use rewind_engine::kinds::{
    CbrMapping, CbrRestore, DataNodeRelation, DcsRestore, DdmMetadataRestore, DdmRestore,
    DdmSource, InstanceRef, MetadataSource, MetadataTarget, OpSpec, RdsRestore, RdsSource,
    RestoreType, TaurusdbRestore,
};

pub const RDS_SRC: &str = "7edae0250ebc464897bd92b8d3e8b769in01";
pub const RDS_TGT: &str = "f4e2949e9b9b4d60b42c89ed39bfe34cin01";
pub const DDM_SRC: &str = "733c7e8d73a54c27b8308ec784a8be8cin09";
pub const DDM_TGT: &str = "2f0324a93859487eb5566d75951fcd2din09";
pub const TDB_SRC: &str = "690e08a7c3854c218df0e59de3b0c6cein07";
pub const TDB_TGT: &str = "7033e7c3cf93438797d44ad7ae0a7d95in07";
pub const TDB_BACKUP: &str = "7ffbf305376b4cbea0ae491257b6aaf9br07";
pub const CBR_BACKUP: &str = "a5200268-74a5-4806-acc6-95793ab0228b";
pub const CBR_CHILD: &str = "5d822633-2bbf-4af8-a16e-5ab1c7705235";
pub const CBR_SERVER: &str = "94eba8b2-acc9-4d82-badc-127144cc5526";
pub const CBR_VOLUME: &str = "eccbcfdd-f843-4bbb-b2c0-a5ce861f9376";
pub const DCS_INSTANCE: &str = "6b0e3a52-9c1d-4f7e-8a2b-3c4d5e6f7a8b";
pub const DCS_BACKUP: &str = "8ba256cb-e5ac-44f6-a3da-c03d8f0e5029";

pub const HOUR: i64 = 3_600_000;

/// A window from two hours ago to ten minutes ago, and a point inside it.
pub fn window(now: i64) -> ((i64, i64), i64) {
    ((now - 2 * HOUR, now - 600_000), now - HOUR)
}

pub fn rds_pitr(source: &str, target: &str, at: i64) -> OpSpec {
    OpSpec::Rds(RdsRestore {
        source: RdsSource {
            instance_id: source.into(),
            restore_type: RestoreType::Timestamp,
            backup_id: None,
            restore_time: Some(at),
        },
        target: InstanceRef {
            instance_id: target.into(),
        },
    })
}

pub fn ddm_restore(at: i64) -> OpSpec {
    OpSpec::Ddm(DdmRestore {
        instance_id: DDM_SRC.into(),
        source: DdmSource {
            instance_id: DDM_SRC.into(),
            restore_time: at,
        },
        target: InstanceRef {
            instance_id: DDM_TGT.into(),
        },
        data_node_relations: vec![DataNodeRelation {
            source_instance_id: RDS_SRC.into(),
            target_instance_id: RDS_TGT.into(),
        }],
    })
}

pub fn ddm_metadata(at: i64) -> OpSpec {
    OpSpec::DdmMetadata(DdmMetadataRestore {
        instance_id: DDM_SRC.into(),
        source: MetadataSource {
            restore_time: Some(at),
            backup_id: None,
        },
        target: MetadataTarget {
            instance_id: DDM_TGT.into(),
            data_nodes: vec![RDS_TGT.into()],
        },
    })
}

pub fn taurusdb_backup() -> OpSpec {
    OpSpec::Taurusdb(TaurusdbRestore {
        source_instance_id: TDB_SRC.into(),
        target_instance_id: TDB_TGT.into(),
        restore_type: RestoreType::Backup,
        backup_id: Some(TDB_BACKUP.into()),
        restore_time: None,
    })
}

pub fn cbr_server() -> OpSpec {
    OpSpec::Cbr(CbrRestore {
        backup_id: CBR_BACKUP.into(),
        server_id: Some(CBR_SERVER.into()),
        volume_id: None,
        mappings: vec![CbrMapping {
            backup_id: CBR_CHILD.into(),
            volume_id: CBR_VOLUME.into(),
        }],
        power_on: true,
        resource_id: None,
        details: None,
    })
}

pub fn dcs() -> OpSpec {
    OpSpec::Dcs(DcsRestore {
        instance_id: DCS_INSTANCE.into(),
        backup_id: DCS_BACKUP.into(),
        remark: Some("restore instance".into()),
    })
}

/// A world holding every resource the six specs name, all healthy.
pub fn healthy_world() -> (rewind_sim::World, i64) {
    let mut w = world();
    let (win, at) = window(now(&w));
    w.ensure_rds_instance(RDS_SRC, win);
    w.ensure_rds_instance(RDS_TGT, win);
    w.ensure_ddm_instance(DDM_SRC, &[RDS_SRC.to_owned()], win);
    w.ensure_ddm_instance(DDM_TGT, &[], win);
    w.ensure_taurusdb_instance(TDB_SRC, win);
    w.ensure_taurusdb_instance(TDB_TGT, win);
    w.ensure_taurusdb_backup(TDB_SRC, TDB_BACKUP);
    w.ensure_cbr_backup(
        CBR_BACKUP,
        Some(CBR_SERVER),
        None,
        &[(CBR_CHILD.into(), CBR_VOLUME.into())],
    );
    w.ensure_dcs_backup(DCS_INSTANCE, DCS_BACKUP);
    (w, at)
}
