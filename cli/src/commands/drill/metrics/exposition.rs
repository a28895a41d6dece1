//! OpenMetrics text (what `prometheus-client` encodes) turned into the Prometheus text format
//! 0.0.4 that node_exporter's textfile collector and the Pushgateway read.
//
// Neither reader parses OpenMetrics (prometheus/pushgateway#400): read as 0.0.4, a counter's
// `# TYPE x counter` names no sample (the samples are `x_total`), so every counter arrived
// untyped. The formats differ only in what is rewritten here.

use std::collections::BTreeSet;

/// `openmetrics` as Prometheus text 0.0.4: a counter's HELP and TYPE name its `_total`
/// samples, and the `# EOF`, `# UNIT` and counter `_created` lines go.
pub fn prometheus_text(openmetrics: &str) -> String {
    let counters: BTreeSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let kept = match comment(line) {
            Some((keyword, name, rest)) if counters.contains(name) => {
                format!("# {keyword} {name}_total{rest}")
            }
            None if created_sample(line, &counters) => continue,
            Some(_) | None => line.to_owned(),
        };
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// A `# HELP name …` or `# TYPE name …` line as (keyword, name, the rest after the name).
fn comment(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.strip_prefix("# ")?;
    let (keyword, rest) = rest.split_once(' ')?;
    if keyword != "HELP" && keyword != "TYPE" {
        return None;
    }
    let end = rest.find(' ').unwrap_or(rest.len());
    Some((keyword, &rest[..end], &rest[end..]))
}

/// A counter's `name_created` sample, which 0.0.4 has no place for.
fn created_sample(line: &str, counters: &BTreeSet<&str>) -> bool {
    let name = line.split(['{', ' ']).next().unwrap_or_default();
    name.strip_suffix("_created")
        .is_some_and(|base| counters.contains(base))
}

#[cfg(test)]
mod tests {
    use super::prometheus_text;

    #[test]
    fn counters_keep_their_type_and_the_openmetrics_lines_go() {
        let om = "# HELP runs Drill runs.\n# TYPE runs counter\nruns_total{d=\"a\"} 2\n\
                  runs_created{d=\"a\"} 1.5\n# HELP rto_seconds RTO.\n# TYPE rto_seconds gauge\n\
                  # UNIT rto_seconds seconds\nrto_seconds{d=\"a\"} 3.5\n# EOF\n";
        let text = prometheus_text(om);
        assert_eq!(
            text,
            "# HELP runs_total Drill runs.\n# TYPE runs_total counter\nruns_total{d=\"a\"} 2\n\
             # HELP rto_seconds RTO.\n# TYPE rto_seconds gauge\nrto_seconds{d=\"a\"} 3.5\n"
        );
        let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
            .expect("0.0.4 text parses");
        let runs = scrape
            .samples
            .iter()
            .find(|s| s.metric == "runs_total")
            .expect("the counter's sample");
        assert!(
            matches!(runs.value, prometheus_parse::Value::Counter(v) if (v - 2.0).abs() < 1e-9),
            "{:?}",
            runs.value
        );
    }
}
