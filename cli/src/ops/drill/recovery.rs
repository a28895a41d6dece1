//! A drill's `restore_time: latest` / `random_within D`: the restorable windows read from the
//! cloud when the drill's plan is made, one point chosen for the group, pinned in the plan.

use crate::error::CliError;
use crate::load::Loaded;
use rewind_engine::drill::DrillDecl;
use rewind_engine::drill::recovery::{self, RecoveryChoice, RecoveryPick};
use rewind_engine::plan::Plan;
use rewind_engine::provider::Providers;
use std::collections::BTreeMap;

/// The drill's plan with every chosen recovery point pinned, and the picks; `None` when none
/// of its operations chooses one.
///
/// Operations with the same choice form one consistency group: they restore one point,
/// chosen inside the windows of all their sources.
pub async fn resolve(
    loaded: &Loaded,
    drill: &DrillDecl,
    providers: &Providers,
    seed: u64,
) -> Result<Option<(Plan, Vec<RecoveryPick>)>, CliError> {
    let spec = &loaded.compiled.spec;
    let Some((resolved, picks)) = choose(
        spec,
        |op| drill.operations.iter().any(|o| o == op),
        providers,
        seed,
    )
    .await?
    else {
        return Ok(None);
    };
    let plan = rewind_engine::ops::drill::plan(&loaded.compiled.file, &resolved, drill, false)
        .map_err(CliError::msg)?;
    Ok(Some((plan, picks)))
}

/// Pins the recovery point of every step of `plan` that submits a restore whose spec says
/// `latest`, `random_within` or `backup_id: latest`, chosen against the cloud now; the picks.
/// Steps that do not submit (unchanged, resumed, ...) keep the spec as written.
pub async fn pin_plan(
    plan: &mut Plan,
    spec: &rewind_engine::spec::Spec,
    providers: &Providers,
    seed: u64,
) -> Result<Vec<RecoveryPick>, CliError> {
    let submitting: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.action.submits() && spec.recovery.contains_key(&s.name))
        .map(|s| s.name.clone())
        .collect();
    let Some((resolved, picks)) = choose(
        spec,
        |op| submitting.iter().any(|s| s == op),
        providers,
        seed,
    )
    .await?
    else {
        return Ok(Vec::new());
    };
    for name in &submitting {
        if let Some(op) = resolved.ops.get(name) {
            plan.pin_step(name, op.spec.clone());
        }
    }
    Ok(picks)
}

/// The names of the steps of `plan` that would submit a restore whose recovery point is not
/// chosen yet (a plan made with `--offline`): such a plan is not applied.
pub fn unpinned(plan: &Plan, spec: &rewind_engine::spec::Spec) -> Vec<String> {
    plan.steps
        .iter()
        .filter(|s| s.action.submits())
        .filter(|s| {
            spec.recovery
                .get(&s.name)
                .is_some_and(|c| !recovery::is_pinned(&s.spec, *c))
        })
        .map(|s| s.name.clone())
        .collect()
}

/// `spec` with the recovery point of each chosen operation (`wanted`) pinned, and the picks;
/// `None` when no wanted operation chooses one.
async fn choose(
    spec: &rewind_engine::spec::Spec,
    wanted: impl Fn(&str) -> bool,
    providers: &Providers,
    seed: u64,
) -> Result<Option<(rewind_engine::spec::Spec, Vec<RecoveryPick>)>, CliError> {
    let mut groups: BTreeMap<String, (RecoveryChoice, Vec<String>)> = BTreeMap::new();
    for (op, choice) in spec.recovery.iter().filter(|(op, _)| wanted(op)) {
        let key = serde_json::to_string(choice).unwrap_or_default();
        groups
            .entry(key)
            .or_insert_with(|| (*choice, Vec::new()))
            .1
            .push(op.clone());
    }
    if groups.is_empty() {
        return Ok(None);
    }
    let mut resolved = spec.clone();
    let mut picks = Vec::new();
    for (choice, ops) in groups.into_values() {
        if choice == RecoveryChoice::LatestBackup {
            for op in &ops {
                picks.push(latest_backup(op, &mut resolved, providers).await?);
            }
            continue;
        }
        let mut common: Option<Vec<(i64, i64)>> = None;
        let mut offered = Vec::new();
        for op in &ops {
            let decl = spec
                .ops
                .get(op)
                .ok_or_else(|| CliError::msg(format!("the operation `{op}` is not in the spec")))?;
            let source = recovery::source(&decl.spec).ok_or_else(|| {
                CliError::msg(format!("`{op}`: this kind takes a fixed restore_time only"))
            })?;
            let service = decl.spec.kind().service();
            let provider = providers.get(&service).ok_or_else(|| {
                CliError::msg(format!("`{op}`: no provider for {}", service.as_str()))
            })?;
            let windows = provider
                .restorable_windows(source)
                .await
                .map_err(|e| CliError::msg(format!("`{op}`: {}", e.message)))?
                .ok_or_else(|| {
                    CliError::msg(format!(
                        "`{op}`: {} lists no restorable windows, so `latest` cannot be chosen",
                        service.as_str()
                    ))
                })?;
            let newest = windows.iter().map(|(_, e)| *e).max().ok_or_else(|| {
                CliError::msg(format!(
                    "`{op}`: the cloud offers no restorable window for {source}"
                ))
            })?;
            offered.push((op.clone(), source.to_owned(), newest));
            common = Some(match common {
                None => windows,
                Some(c) => recovery::intersect(&c, &windows),
            });
        }
        let chosen =
            recovery::choose(choice, &common.unwrap_or_default(), seed).map_err(|why| {
                CliError::msg(format!(
                    "{}: no point every source can be restored to ({why})",
                    ops.join(", ")
                ))
            })?;
        for (op, source, newest) in offered {
            if let Some(decl) = resolved.ops.get_mut(&op) {
                recovery::pin(&mut decl.spec, chosen);
            }
            picks.push(RecoveryPick {
                operation: op,
                choice,
                source,
                newest_offered: newest,
                chosen,
                seed: matches!(choice, RecoveryChoice::RandomWithin(_)).then_some(seed),
                backup_id: None,
            });
        }
    }
    Ok(Some((resolved, picks)))
}

/// `backup_id: latest` of `op`: the newest finished backup, pinned in `spec`.
async fn latest_backup(
    op: &str,
    spec: &mut rewind_engine::spec::Spec,
    providers: &Providers,
) -> Result<RecoveryPick, CliError> {
    let decl = spec
        .ops
        .get_mut(op)
        .ok_or_else(|| CliError::msg(format!("the operation `{op}` is not in the spec")))?;
    let source = recovery::backup_source(&decl.spec)
        .ok_or_else(|| CliError::msg(format!("`{op}`: this kind takes a backup ID only")))?
        .to_owned();
    let service = decl.spec.kind().service();
    let provider = providers
        .get(&service)
        .ok_or_else(|| CliError::msg(format!("`{op}`: no provider for {}", service.as_str())))?;
    // Located at the operation, as the spec's own diagnostics are.
    let at_line = decl.span.line;
    let (backup, at) = provider
        .latest_backup(&source)
        .await
        .map_err(|e| CliError::msg(format!("`restores.{op}` (line {at_line}): {}", e.message)))?
        .ok_or_else(|| {
            CliError::hint(
                format!(
                    "`restores.{op}` (line {at_line}): {} lists no finished backup of {source}, so `backup_id: latest` has nothing to restore; nothing was restored",
                    service.as_str()
                ),
                "take a backup first (or wait for the running one to finish), or write a backup ID",
            )
        })?;
    if !recovery::pin_backup(&mut decl.spec, &backup) {
        return Err(CliError::msg(format!(
            "`restores.{op}`: this kind takes a backup ID only"
        )));
    }
    Ok(RecoveryPick {
        operation: op.to_owned(),
        choice: RecoveryChoice::LatestBackup,
        source,
        newest_offered: at,
        chosen: at,
        seed: None,
        backup_id: Some(backup),
    })
}

/// The RPO the cloud offered at `started` (epoch ms): the age of the oldest of the newest
/// points the chosen operations' sources offered.
pub fn offered_rpo_ms(picks: &[RecoveryPick], started: i64) -> Option<u64> {
    let newest = picks.iter().map(|p| p.newest_offered).min()?;
    u64::try_from(started.saturating_sub(newest)).ok()
}

/// One line per pick, for the terminal.
pub fn describe(picks: &[RecoveryPick]) -> Vec<String> {
    let show = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
    };
    picks
        .iter()
        .map(|p| {
            let how = match p.choice {
                RecoveryChoice::Latest => "latest".to_owned(),
                RecoveryChoice::LatestBackup => format!(
                    "backup_id: latest = {}",
                    p.backup_id.as_deref().unwrap_or_default()
                ),
                RecoveryChoice::RandomWithin(d) => format!(
                    "random_within {} (seed {})",
                    rewind_drills::report::human_duration(d),
                    p.seed.unwrap_or_default()
                ),
            };
            format!(
                "  recovery point of `{}`: {how} → {} (newest offered by {}: {})",
                p.operation,
                show(p.chosen),
                p.source,
                show(p.newest_offered)
            )
        })
        .collect()
}

/// `rpo` with the chosen point of each pick whose restore succeeded but whose provider reported
/// no recovery point (DDM, TaurusDB, CBR): the point the plan pinned is the point restored.
/// Remeasured from `started` against `budget` when a point was added.
pub fn with_chosen_points(
    rpo: Option<rewind_drills::Rpo>,
    picks: &[RecoveryPick],
    records: &[rewind_engine::state::OpRecord],
    started: jiff::Timestamp,
    budget: Option<std::time::Duration>,
) -> Option<rewind_drills::Rpo> {
    let mut points: Vec<(String, jiff::Timestamp)> = rpo
        .as_ref()
        .map(|r| {
            r.per_operation
                .iter()
                .map(|p| (p.operation.clone(), p.recovery_point))
                .collect()
        })
        .unwrap_or_default();
    let known = points.len();
    for pick in picks {
        let restored = records.iter().any(|r| {
            r.name == pick.operation && r.status == rewind_engine::state::Status::Succeeded
        });
        if !restored || points.iter().any(|(op, _)| *op == pick.operation) {
            continue;
        }
        if let Ok(at) = jiff::Timestamp::from_millisecond(pick.chosen) {
            points.push((pick.operation.clone(), at));
        }
    }
    if points.len() == known {
        return rpo;
    }
    Some(rewind_drills::measure_rpo(started, &points, budget))
}
