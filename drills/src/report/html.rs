//! `report.html`: one self-contained page (inline CSS and SVG, no network, no script) with a
//! timeline of every restore and probe, the critical path highlighted, and the budgets.

use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;

use super::escape::xml;
use super::model::{CleanupAction, DrillReport};
use crate::measure::Budget;
use crate::timefmt::{human_duration, human_margin};
use crate::timing::OpOutcome;

const WIDTH: f64 = 1100.0;
const LABEL: f64 = 230.0;
const RIGHT: f64 = 20.0;
const ROW: f64 = 26.0;
const BAR: f64 = 16.0;
const TOP: f64 = 34.0;

const CSS: &str = r#"
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#bf8700;--crit:#e36209;--ink:#1f2328;--mute:#656d76;--line:#d0d7de;--restore:#0969da}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:24px auto;max-width:1140px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--mute)}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600;margin-left:8px;font-size:14px;vertical-align:middle}
.verdict.pass{background:var(--ok)}.verdict.fail{background:var(--bad)}
.cards{display:flex;gap:16px;flex-wrap:wrap}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:340px;flex:1}
.card h3{margin:0 0 6px;font-size:15px}.card .big{font-size:22px;font-weight:600}
.met{color:var(--ok)}.missed{color:var(--bad)}.nobudget{color:var(--mute)}.unverified{color:var(--warn)}
ul.fail{color:var(--bad)}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.pass{color:var(--ok)}td.fail{color:var(--bad)}td.warn{color:var(--warn)}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:360px;margin:4px 0;white-space:pre-wrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
svg.timeline{width:100%;height:auto;border:1px solid var(--line);border-radius:8px;background:#fff}
.axis line{stroke:var(--line)}.axis text{fill:var(--mute);font-size:11px}
.label{font-size:12px;fill:var(--ink)}.label.probe{fill:var(--mute)}
.bar{rx:3;ry:3}
.bar.restore{fill:var(--restore)}.bar.restore.failed{fill:var(--bad)}.bar.restore.running,.bar.restore.skipped{fill:#8c959f}
.bar.probe.pass{fill:var(--ok)}.bar.probe.fail{fill:var(--bad)}.bar.probe.warn{fill:var(--warn)}
.bar.critical{stroke:var(--crit);stroke-width:3}
.mark{stroke-width:2;stroke-dasharray:6 4}.mark.budget{stroke:var(--bad)}.mark.rto{stroke:var(--crit);stroke-dasharray:none}
.mark-label{font-size:11px}.mark-label.budget{fill:var(--bad)}.mark.beyond{stroke-dasharray:2 3}.mark-label.rto{fill:var(--crit)}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:14px;height:10px;border-radius:2px;margin-right:4px;vertical-align:middle}
.crit-path li.critical{color:var(--crit);font-weight:600}
"#;

/// Renders the page.
pub fn render(r: &DrillReport) -> String {
    let mut s = String::with_capacity(32 * 1024);
    let verdict = match r.verdict_word() {
        "PASSED" => ("pass", "PASSED"),
        "INCOMPLETE" => ("fail", "INCOMPLETE"),
        _ => ("fail", "FAILED"),
    };
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Drill {name}: {v}</title><style>{CSS}</style></head>\n<body>\n\
         <h1>Drill <code>{name}</code><span class=\"verdict {vc}\" id=\"verdict\" data-passed=\"{p}\">{v}</span></h1>\n\
         <p class=\"meta\">Started {start} · finished {end} · took {took}{sim}</p>\n",
        name = xml(&r.drill),
        v = verdict.1,
        vc = verdict.0,
        p = r.passed,
        start = r.started_at,
        end = r.finished_at,
        took = human_duration(r.span()),
        sim = if r.simulated {
            " · <strong>REHEARSAL (simulated)</strong>: nothing real was restored or probed; times are simulated time"
        } else {
            ""
        },
    );
    let failures = r.failures();
    if !failures.is_empty() {
        s.push_str("<ul class=\"fail\" id=\"failures\">");
        for f in &failures {
            let _ = write!(s, "<li>{}</li>", xml(f));
        }
        s.push_str("</ul>\n");
    }

    s.push_str("<div class=\"cards\">\n");
    card(
        &mut s,
        "rto",
        "RTO",
        "first submit to the last passed probe",
        &r.rto.result,
    );
    match &r.rpo {
        Some(rpo) => card(
            &mut s,
            "rpo",
            "RPO",
            "drill start minus the oldest recovery point restored",
            &rpo.result,
        ),
        None => card(
            &mut s,
            "rpo",
            "RPO",
            "no recovery point known",
            &Budget::new(None, None),
        ),
    }
    s.push_str("</div>\n");

    s.push_str("<h2>Timeline</h2>\n");
    timeline(&mut s, r);

    s.push_str("<h2>Critical path</h2>\n");
    if r.rto.critical_path.is_empty() {
        s.push_str("<p class=\"meta\">No operation finished.</p>\n");
    } else {
        s.push_str("<ol class=\"crit-path\" id=\"critical-path\">");
        for name in &r.rto.critical_path {
            let _ = write!(
                s,
                "<li class=\"critical\" data-name=\"{0}\"><code>{0}</code></li>",
                xml(name)
            );
        }
        s.push_str("</ol>\n");
        if let Some(p) = r.rto_probe() {
            let _ = writeln!(
                s,
                "<p>The RTO was set by probe <code>{}</code>.</p>",
                xml(&p.result.name)
            );
        }
    }

    restores_table(&mut s, r);
    probes_table(&mut s, r);
    cleanup_table(&mut s, r);
    let _ = writeln!(
        s,
        "<p class=\"meta\">rewind drill report, format {}</p>\n</body></html>",
        super::model::FORMAT_VERSION
    );
    s
}

fn card(s: &mut String, id: &str, title: &str, what: &str, b: &Budget) {
    let measured = b
        .measured
        .map_or_else(|| "not measured".to_owned(), human_duration);
    let (class, result) = match (b.met, b.margin_ms) {
        _ if b.unverified.is_some() => (
            "unverified",
            format!(
                "not verified: {}",
                b.unverified.as_deref().unwrap_or_default()
            ),
        ),
        (None, _) => ("nobudget", "no budget".to_owned()),
        (Some(true), Some(m)) => ("met", format!("met · {}", human_margin(m))),
        (Some(false), Some(m)) => ("missed", format!("missed · {}", human_margin(m))),
        (Some(true), None) => ("met", "met".to_owned()),
        (Some(false), None) => ("missed", "missed: nothing measured".to_owned()),
    };
    let budget = b.budget.map_or_else(|| "none".to_owned(), human_duration);
    let _ = write!(
        s,
        "<div class=\"card\" id=\"{id}\" data-measured-ms=\"{}\" data-budget-ms=\"{}\" data-met=\"{}\">\
         <h3>{title}</h3><div class=\"big\">{measured}</div><div>budget {budget} · <span class=\"{class}\">{result}</span></div>",
        b.measured
            .map_or_else(String::new, |d| d.as_millis().to_string()),
        b.budget
            .map_or_else(String::new, |d| d.as_millis().to_string()),
        b.met.map_or_else(String::new, |m| m.to_string()),
    );
    // A gauge: the measured bar against the budget mark, on one scale.
    if let (Some(m), Some(bud)) = (b.measured, b.budget) {
        let scale = m.max(bud).as_secs_f64().max(0.001);
        let mw = 300.0 * m.as_secs_f64() / scale;
        let bx = 300.0 * bud.as_secs_f64() / scale;
        let color = if b.met == Some(true) {
            "var(--ok)"
        } else {
            "var(--bad)"
        };
        let _ = write!(
            s,
            "<svg class=\"gauge\" width=\"310\" height=\"22\" viewBox=\"0 0 310 22\" role=\"img\" aria-label=\"{title} {measured} against budget {budget}\">\
             <rect x=\"0\" y=\"5\" width=\"300\" height=\"12\" fill=\"#eaeef2\" rx=\"3\"/>\
             <rect x=\"0\" y=\"5\" width=\"{mw:.1}\" height=\"12\" fill=\"{color}\" rx=\"3\"/>\
             <line x1=\"{bx:.1}\" y1=\"1\" x2=\"{bx:.1}\" y2=\"21\" stroke=\"var(--ink)\" stroke-width=\"2\"/></svg>"
        );
    }
    let _ = writeln!(s, "<div class=\"meta\">{what}</div></div>");
}

/// Milliseconds from `t0` to `t`, never negative.
fn off(t0: Timestamp, t: Timestamp) -> f64 {
    t.duration_since(t0).as_millis().max(0) as f64
}

/// A tick step (ms) that gives at most ten ticks over `span_ms`.
fn tick_step(span_ms: f64) -> f64 {
    const STEPS: [u64; 16] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400,
    ];
    STEPS
        .iter()
        .map(|s| (*s * 1000) as f64)
        .find(|s| span_ms / s <= 10.0)
        .unwrap_or(86_400_000.0)
}

fn timeline(out: &mut String, report: &DrillReport) {
    let t0 = report
        .operations
        .iter()
        .map(|o| o.submitted_at)
        .chain([report.started_at])
        .min()
        .unwrap_or(report.started_at);
    let mut end = report.finished_at;
    for o in &report.operations {
        end = end.max(o.finished_at.unwrap_or(o.submitted_at));
    }
    for p in &report.probes {
        end = end.max(p.result.finished_at());
    }
    let mut span = off(t0, end).max(1000.0);
    // The axis fits the run. A budget within half a run past its end stretches it; one far
    // beyond (a 2 h budget over a 12 s rehearsal) is marked at the right edge instead, so the
    // bars do not shrink into the first pixel.
    let budget_at = report
        .rto
        .first_submit_at
        .zip(report.rto.result.budget)
        .map(|(first, budget)| off(t0, first) + budget.as_millis() as f64);
    let budget_beyond = budget_at.is_some_and(|b| b > span * 1.5);
    if let Some(b) = budget_at.filter(|_| !budget_beyond) {
        span = span.max(b);
    }
    // A little room past the last bar or mark, so nothing ends on the frame.
    span *= 1.03;
    let plot = WIDTH - LABEL - RIGHT;
    let xpos = |ms: f64| LABEL + plot * ms / span;

    // Rows: each restore, then the probes on its target; probes of unknown operations last.
    let mut rows: Vec<Row> = Vec::new();
    for op in &report.operations {
        rows.push(Row::Restore(op));
        rows.extend(
            report
                .probes
                .iter()
                .filter(|p| p.operation == op.name)
                .map(Row::Probe),
        );
    }
    rows.extend(
        report
            .probes
            .iter()
            .filter(|p| !report.operations.iter().any(|o| o.name == p.operation))
            .map(Row::Probe),
    );
    let height = TOP + ROW * rows.len().max(1) as f64 + 30.0;
    let _ = writeln!(
        out,
        "<svg class=\"timeline\" id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"Timeline of restores and probes\" data-t0=\"{t0}\" data-span-ms=\"{span}\">"
    );
    out.push_str("<g class=\"axis\">");
    let step = tick_step(span);
    let mut tick = 0.0;
    for _ in 0..=20 {
        if tick > span {
            break;
        }
        let _ = write!(
            out,
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2:.1}\"/><text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
            xpos(tick),
            TOP - 8.0,
            height - 22.0,
            TOP - 14.0,
            if tick == 0.0 {
                "0".to_owned()
            } else {
                format!("+{}", human_duration(Duration::from_millis(tick as u64)))
            }
        );
        tick += step;
    }
    out.push_str("</g>\n");

    let rto_probe = report.rto_probe().map(|p| (&p.operation, &p.result.name));
    for (i, row) in rows.iter().enumerate() {
        let row_y = TOP + ROW * i as f64;
        let by = row_y + (ROW - BAR) / 2.0;
        match row {
            Row::Restore(op) => {
                let start = off(t0, op.submitted_at);
                let finish = op.finished_at.map_or(off(t0, end), |f| off(t0, f));
                let bar_w = (xpos(finish) - xpos(start)).max(2.0);
                let crit = op.on_critical_path;
                let took = op.finished_at.map_or_else(
                    || "unfinished".to_owned(),
                    |_| human_duration(Duration::from_millis((finish - start) as u64)),
                );
                let _ = writeln!(
                    out,
                    "<text class=\"label restore\" x=\"8\" y=\"{ty:.1}\">{label}</text>\
                     <rect class=\"bar restore {outcome}{critc}\" x=\"{bx:.1}\" y=\"{by:.1}\" width=\"{bar_w:.1}\" height=\"{BAR}\" \
                     data-name=\"{name}\" data-kind=\"{kind}\" data-outcome=\"{outcome}\" data-critical=\"{crit}\" \
                     data-start-ms=\"{start}\" data-end-ms=\"{finish}\"><title>{name} ({kind}): {outcome}, {took}{ct}</title></rect>",
                    ty = row_y + ROW / 2.0 + 4.0,
                    label = xml(&clip(&op.name, 30)),
                    outcome = op.outcome.as_str(),
                    critc = if crit { " critical" } else { "" },
                    bx = xpos(start),
                    name = xml(&op.name),
                    kind = xml(&op.kind),
                    ct = if crit { " · critical path" } else { "" },
                );
            }
            Row::Probe(p) => {
                let res = &p.result;
                let start = off(t0, res.started_at);
                let finish = off(t0, res.finished_at());
                let bar_w = (xpos(finish) - xpos(start)).max(2.0);
                let status = if res.passed {
                    "pass"
                } else if res.warned {
                    "warn"
                } else {
                    "fail"
                };
                let crit = rto_probe == Some((&p.operation, &res.name));
                let _ = writeln!(
                    out,
                    "<text class=\"label probe\" x=\"20\" y=\"{ty:.1}\">↳ {label}</text>\
                     <rect class=\"bar probe {status}{critc}\" x=\"{bx:.1}\" y=\"{by:.1}\" width=\"{bar_w:.1}\" height=\"{BAR}\" \
                     data-name=\"{name}\" data-operation=\"{op}\" data-kind=\"{kind}\" data-status=\"{status}\" data-critical=\"{crit}\" \
                     data-start-ms=\"{start}\" data-end-ms=\"{finish}\"><title>probe {name} on {op}: {status}, {took}: {detail}</title></rect>",
                    ty = row_y + ROW / 2.0 + 4.0,
                    label = xml(&clip(&res.name, 28)),
                    critc = if crit { " critical" } else { "" },
                    bx = xpos(start),
                    name = xml(&res.name),
                    op = xml(&p.operation),
                    kind = res.kind,
                    took = human_duration(res.duration),
                    detail = xml(&clip(&res.detail, 200)),
                );
            }
        }
    }

    let bottom = height - 22.0;
    if let Some(first) = report.rto.first_submit_at {
        let base = off(t0, first);
        if let Some(budget) = report.rto.result.budget {
            if budget_beyond {
                mark(
                    out,
                    "budget beyond",
                    WIDTH - RIGHT,
                    bottom,
                    &format!("RTO budget {} (far beyond) →", human_duration(budget)),
                );
            } else {
                mark(
                    out,
                    "budget",
                    xpos(base + budget.as_millis() as f64),
                    bottom,
                    &format!("RTO budget {}", human_duration(budget)),
                );
            }
        }
        if let Some(m) = report.rto.result.measured {
            mark(
                out,
                "rto",
                xpos(base + m.as_millis() as f64),
                bottom,
                &format!("RTO {}", human_duration(m)),
            );
        }
    }
    out.push_str("</svg>\n");
    out.push_str(
        "<p class=\"legend\"><span><i class=\"sw\" style=\"background:var(--restore)\"></i>restore</span>\
         <span><i class=\"sw\" style=\"background:var(--ok)\"></i>probe passed</span>\
         <span><i class=\"sw\" style=\"background:var(--warn)\"></i>probe warned</span>\
         <span><i class=\"sw\" style=\"background:var(--bad)\"></i>failed</span>\
         <span><i class=\"sw\" style=\"background:#fff;border:3px solid var(--crit)\"></i>critical path</span></p>\n",
    );
}

enum Row<'a> {
    Restore(&'a crate::timing::OperationTiming),
    Probe(&'a crate::timing::DrillProbe),
}

fn mark(s: &mut String, class: &str, x: f64, bottom: f64, label: &str) {
    // Near the right edge a centred label would be cut off by the frame.
    let anchor = if x > WIDTH - 90.0 { "end" } else { "middle" };
    let _ = writeln!(
        s,
        "<line class=\"mark {class}\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\"/>\
         <text class=\"mark-label {class}\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
        TOP - 6.0,
        bottom
            + (if class.starts_with("budget") {
                14.0
            } else {
                26.0
            })
            - 4.0,
        xml(label)
    );
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn restores_table(s: &mut String, r: &DrillReport) {
    s.push_str("<h2>Restores</h2>\n<table id=\"restores\"><tr><th>operation</th><th>kind</th><th>instance</th><th>submitted</th><th>took</th><th>outcome</th><th>ready after</th></tr>\n");
    for op in &r.operations {
        let took = op
            .finished_at
            .and_then(|f| f.duration_since(op.submitted_at).try_into().ok())
            .map_or_else(|| "–".to_owned(), human_duration);
        let ready = r
            .rto
            .per_operation
            .iter()
            .find(|o| o.name == op.name)
            .and_then(|o| o.measured)
            .map_or_else(|| "–".to_owned(), human_duration);
        let cls = if op.outcome == OpOutcome::Succeeded {
            "pass"
        } else {
            "fail"
        };
        let detail = op
            .detail
            .as_deref()
            .map(|d| format!(": {}", xml(d)))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "<tr{crit}><td><code>{}</code>{star}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{took}</td><td class=\"{cls}\">{}{detail}</td><td>{ready}</td></tr>",
            xml(&op.name),
            xml(&op.kind),
            xml(op.instance_id.as_deref().unwrap_or("–")),
            op.submitted_at,
            op.outcome.as_str(),
            crit = if op.on_critical_path {
                " class=\"critical\""
            } else {
                ""
            },
            star = if op.on_critical_path { " ★" } else { "" },
        );
    }
    s.push_str("</table>\n");
}

fn probes_table(s: &mut String, r: &DrillReport) {
    s.push_str("<h2>Probes</h2>\n");
    if r.probes.is_empty() {
        s.push_str("<p class=\"meta\">No probes ran.</p>\n");
        return;
    }
    s.push_str("<table id=\"probes\"><tr><th>probe</th><th>operation</th><th>kind</th><th>result</th><th>detail</th><th>took</th></tr>\n");
    for p in &r.probes {
        let res = &p.result;
        let (cls, word) = if res.passed {
            ("pass", "passed")
        } else if res.warned {
            ("warn", "warned")
        } else if res.not_run {
            ("warn", "not run")
        } else {
            ("fail", "failed")
        };
        let out = if res.output.is_empty() {
            String::new()
        } else {
            // Failed output starts open: it is what the reader came for.
            format!(
                "<details{}><summary>output</summary><pre><code>{}</code></pre></details>",
                if res.passed { "" } else { " open" },
                xml(&res.output)
            )
        };
        let _ = writeln!(
            s,
            "<tr data-name=\"{n}\"><td><code>{n}</code></td><td><code>{}</code></td><td>{}</td><td class=\"{cls}\">{word}</td><td>{}{out}</td><td>{}</td></tr>",
            xml(&p.operation),
            res.kind,
            xml(&res.detail),
            human_duration(res.duration),
            n = xml(&res.name),
        );
    }
    s.push_str("</table>\n");
}

fn cleanup_table(s: &mut String, r: &DrillReport) {
    s.push_str("<h2>Clean-up</h2>\n");
    if r.cleanup.is_empty() {
        s.push_str("<p class=\"meta\">Nothing to clean up.</p>\n");
        return;
    }
    s.push_str("<table id=\"cleanup\"><tr><th>operation</th><th>service</th><th>instance</th><th>action</th><th>detail</th></tr>\n");
    for c in &r.cleanup {
        let cls = if c.action == CleanupAction::Failed {
            "fail"
        } else {
            "pass"
        };
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td class=\"{cls}\">{}</td><td>{}</td></tr>",
            xml(&c.operation),
            xml(&c.service),
            xml(&c.instance_id),
            xml(&c.action.describe()),
            xml(c.detail.as_deref().unwrap_or(""))
        );
    }
    s.push_str("</table>\n");
}
