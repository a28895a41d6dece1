//! DDS v3 (MongoDB): restores to a new or the original instance, collection PITR, jobs, deletes.

use crate::http::Req;
use crate::server::Routed;
use crate::world::{JobEffect, World};

pub(crate) fn route(_req: &Req) -> Option<Routed> {
    None
}

pub(crate) fn finish(_world: &mut World, _effect: &JobEffect, _ok: bool, _at: i64) {}
