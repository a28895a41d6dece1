//! `rewind init ddm`: one RDS restore per related data node, then the DDM metadata restore onto them.

use super::fleet;
use super::names::{instance_name, op_name, var_name};
use super::shared::{Scaffold, cloud, field, inside, password_secret, time_text};
use super::yaml::{Entry, Y, entry, s};
use crate::args::{InitArgs, Targets};
use crate::error::CliError;
use rewind_engine::kinds::Service;
use rewind_providers::discover::Discover;
use rewind_providers::wire_time;
use serde_json::Value;
use std::collections::BTreeSet;

/// Items of `list` marked `available`, sorted by `key` so the pick is the same every run.
fn available<'v>(list: &'v [Value], key: &str) -> Vec<(&'v str, &'v Value)> {
    let mut out: Vec<(&str, &Value)> = list
        .iter()
        .filter(|v| v["available"].as_bool() == Some(true))
        .filter_map(|v| v[key].as_str().map(|id| (id, v)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(b.0));
    out
}

async fn target_ddm(d: &Discover, args: &InitArgs) -> Result<(String, String), CliError> {
    let source = &args.instance;
    let path = format!("GET /v3/{{project_id}}/instances/{source}/backups/restorable-instances");
    let list = d.ddm_restorable_instances(source).await.map_err(cloud)?;
    let candidates = available(&list, "instance_id");
    if let Some(wanted) = &args.target_ddm {
        return if candidates.iter().any(|(id, _)| id == wanted) {
            Ok((
                wanted.clone(),
                format!("--target-ddm, listed available by {path}"),
            ))
        } else {
            Err(CliError::hint(
                format!("--target-ddm {wanted} is not an available restore target of {source}"),
                format!(
                    "available: [{}] ({path})",
                    candidates
                        .iter()
                        .map(|c| c.0)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        };
    }
    match candidates.first() {
        Some((id, _)) => Ok(((*id).to_owned(), format!("first available in {path}"))),
        None => Err(CliError::hint(
            format!("no DDM instance is available to restore {source} to ({path})"),
            "create an empty DDM instance in the same VPC, or name one with --target-ddm",
        )),
    }
}

pub async fn scaffold(d: &Discover, args: &InitArgs, at: i64) -> Result<Scaffold, CliError> {
    let source = &args.instance;
    let windows = d.ddm_windows(source).await.map_err(cloud)?;
    inside(&format!("DDM instance {source}"), at, &windows, false)?;
    let related_path =
        format!("GET /v3/{{project_id}}/instances/{source}/backups/related-dn?restore_time={at}");
    let mut nodes = d.ddm_related_nodes(source, at).await.map_err(cloud)?;
    nodes.sort_by(|a, b| a["instance_id"].as_str().cmp(&b["instance_id"].as_str()));
    if nodes.is_empty() {
        return Err(CliError::msg(format!(
            "DDM instance {source} has no data nodes at {} ({related_path})",
            wire_time::show(at)
        )));
    }
    let (target, target_from) = target_ddm(d, args).await?;

    let mut out = Scaffold::default();
    out.vars
        .push(entry("at", s(time_text(at))).note("The point in time everything is restored to."));
    out.vars
        .push(entry("ddm", s(source.clone())).note("The source DDM instance (--instance)."));
    out.vars
        .push(entry("target_ddm", s(target)).note(format!("Target DDM instance: {target_from}.")));
    let mut taken = BTreeSet::from(["metadata".to_owned()]);
    let stamp = wire_time::format(at, "%Y%m%d%H%M");
    let mut data_nodes = Vec::new();
    let mut node_ops: Vec<(String, Vec<Entry>)> = Vec::new();
    let mut used = BTreeSet::new();
    for node in &nodes {
        let id = field(node, "/instance_id", &related_path)?;
        let source_name = node["instance_name"].as_str().unwrap_or(&id).to_owned();
        let op = op_name(&source_name, &mut taken);
        let restore = match args.targets {
            Targets::New => {
                let name = instance_name(&source_name, &stamp);
                let var = format!("{}_name", var_name(&op));
                out.vars.push(entry(&var, s(name)).note(format!(
                    "Name of the new instance restored from {source_name}."
                )));
                new_node(d, &id, &var, &related_path).await?
            }
            Targets::Existing => {
                let (restore, target_id) =
                    existing_node(d, args, at, &id, &out.vars, &mut used, &related_path).await?;
                data_nodes.push(s(target_id));
                restore
            }
        };
        node_ops.push((op, restore));
    }
    if args.targets == Targets::New {
        out.secrets.push(password_secret());
    }
    let fleet_name = op_name("data-nodes", &mut taken);
    let fleet = fleet::fold(&fleet_name, "data_nodes", &node_ops);
    let new_outputs = |op: &str| s(format!("${{restores.{op}.outputs.instance_id}}"));
    let mut expanded = Scaffold {
        header: Vec::new(),
        vars: out.vars.clone(),
        secrets: out.secrets.clone(),
        restores: Vec::new(),
    };
    let mut listed = data_nodes.clone();
    for (op, restore) in &node_ops {
        if args.targets == Targets::New {
            listed.push(new_outputs(op));
        }
        expanded.restores.push(entry(op, Y::Map(restore.clone())));
    }
    expanded.restores.push(metadata(args.targets, listed));
    // One `for_each` over the nodes when that writes a shorter spec (two or more nodes).
    if let Some((var, restore)) = fleet {
        let mut folded = out;
        let var = inline_name_vars(var, &mut folded.vars);
        folded
            .vars
            .push(var.note("The data nodes: what differs between their restores."));
        folded.restores.push(restore);
        let mut listed = data_nodes;
        if args.targets == Targets::New {
            for (op, _) in &node_ops {
                listed.push(new_outputs(&format!("{fleet_name}[{op}]")));
            }
        }
        folded.restores.push(metadata(args.targets, listed));
        let lines = |sc: &Scaffold| sc.clone().render().lines().count();
        if lines(&folded) < lines(&expanded) {
            return Ok(folded);
        }
    }
    Ok(expanded)
}

/// Each element's `name: ${var.X}` as the name itself, and var X gone: in a fleet the
/// element is where a node's own values live.
fn inline_name_vars(mut elements: Entry, vars: &mut Vec<Entry>) -> Entry {
    if let Y::Map(items) = &mut elements.value {
        for item in items {
            let Y::Map(fields) = &mut item.value else {
                continue;
            };
            for f in fields.iter_mut().filter(|f| f.key == "name") {
                let Y::Str(text) = &f.value else { continue };
                let Some(var) = text
                    .strip_prefix("${var.")
                    .and_then(|t| t.strip_suffix('}'))
                    .map(str::to_owned)
                else {
                    continue;
                };
                if let Some(at) = vars.iter().position(|v| v.key == var) {
                    f.value = vars.remove(at).value;
                }
            }
        }
    }
    elements
}

async fn new_node(
    d: &Discover,
    id: &str,
    name_var: &str,
    related_path: &str,
) -> Result<Vec<Entry>, CliError> {
    let path = format!("GET /v3/{{project_id}}/instances?id={id}");
    let inst = d.instance(Service::Rds, id).await.map_err(cloud)?;
    Ok([
        entry("kind", s("rds.restore_new")),
        entry("name", s(format!("${{var.{name_var}}}")))
            .note("The new instance's name: rewind makes sure it is unique before creating it."),
        entry(
            "restore_point",
            Y::Map(vec![
                entry("instance_id", s(id)).note(format!("Source data node: {related_path}")),
                entry("type", s("timestamp")),
                entry("restore_time", s("${var.at}")),
            ]),
        ),
    ]
    .into_iter()
    .chain(rds_create_fields(&inst, &path)?)
    .collect())
}

/// The create fields of an `rds.restore_new` like `inst` (flavor, volume, zone, network),
/// read from the answer at `path`, and the password secret.
pub fn rds_create_fields(inst: &Value, path: &str) -> Result<Vec<Entry>, CliError> {
    let f = |p: &str| field(inst, p, path);
    let size = inst["volume"]["size"]
        .as_i64()
        .ok_or_else(|| CliError::msg(format!("{path} gave no `volume.size`")))?;
    Ok(vec![
        entry("flavor_ref", s(f("/flavor_ref")?)).note(format!("Copied from the source: {path}")),
        entry(
            "volume",
            Y::Map(vec![
                entry("type", s(f("/volume/type")?)),
                entry("size", Y::Int(size)),
            ]),
        ),
        entry("availability_zone", s(availability_zone(inst, path)?)),
        entry("vpc_id", s(f("/vpc_id")?)),
        entry("subnet_id", s(f("/subnet_id")?)),
        entry("security_group_id", s(f("/security_group_id")?)),
        entry("password", s("${secrets.node_password}")),
    ])
}

/// The primary node's zone (the list answer has no top-level zone).
pub fn availability_zone(inst: &Value, path: &str) -> Result<String, CliError> {
    let nodes = inst["nodes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    nodes
        .iter()
        .find(|n| n["role"].as_str() == Some("master"))
        .or_else(|| nodes.first())
        .and_then(|n| n["availability_zone"].as_str())
        .or_else(|| inst["availability_zone"].as_str())
        .filter(|z| !z.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| CliError::msg(format!("{path} gave no availability zone")))
}

async fn existing_node(
    d: &Discover,
    args: &InitArgs,
    at: i64,
    id: &str,
    vars: &[Entry],
    used: &mut BTreeSet<String>,
    related_path: &str,
) -> Result<(Vec<Entry>, String), CliError> {
    let target_ddm = vars
        .iter()
        .find(|e| e.key == "target_ddm")
        .and_then(|e| match &e.value {
            Y::Str(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let source = &args.instance;
    let path = format!(
        "GET /v3/{{project_id}}/instances/{source}/backups/restorable-data-node?source_dn_instance_id={id}&target_instance_id={target_ddm}&restore_time={at}"
    );
    let list = d
        .ddm_restorable_nodes(source, id, &target_ddm, at)
        .await
        .map_err(cloud)?;
    let pick = available(&list, "instance_id")
        .into_iter()
        .map(|(t, _)| t.to_owned())
        .find(|t| !used.contains(t))
        .ok_or_else(|| {
            CliError::hint(
                format!("no RDS instance is available to take data node {id} ({path})"),
                "create one (same engine, version at least the source's, storage at least as large, same VPC as the target DDM), or use --targets new",
            )
        })?;
    used.insert(pick.clone());
    let restore = vec![
        entry("kind", s("rds.restore")),
        entry(
            "source",
            Y::Map(vec![
                entry("instance_id", s(id)).note(format!("Source data node: {related_path}")),
                entry("type", s("timestamp")),
                entry("restore_time", s("${var.at}")),
            ]),
        ),
        entry(
            "target",
            Y::Map(vec![entry("instance_id", s(pick.clone())).note(format!(
                "Overwritten! First available unused in {path}"
            ))]),
        ),
    ];
    Ok((restore, pick))
}

fn metadata(targets: Targets, data_nodes: Vec<Y>) -> Entry {
    let why = match targets {
        Targets::New => "The data nodes are the new instances, known once they are created.",
        Targets::Existing => "The data nodes are the instances restored above.",
    };
    entry(
        "metadata",
        Y::Map(vec![
            entry("kind", s("ddm.metadata_restore")),
            entry("instance_id", s("${var.ddm}")),
            entry(
                "source",
                Y::Map(vec![entry("restore_time", s("${var.at}"))]),
            ),
            entry(
                "target",
                Y::Map(vec![
                    entry("instance_id", s("${var.target_ddm}")),
                    entry("data_nodes", Y::List(data_nodes)).note(why),
                ]),
            ),
        ]),
    )
    .note("The DDM metadata, restored onto the target DDM over the data nodes above.")
}
