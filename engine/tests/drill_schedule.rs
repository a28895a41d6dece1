//! A drill's `schedule:`: lowering, and errors at the line of the bad value.

mod common;

use common::{compile_err, compile_ok, example};
use std::time::Duration;

fn with_schedule(schedule: &str) -> String {
    format!(
        "{}drills:\n  nightly:\n    scratch: [\"${{var.target_ddm}}\"]\n    schedule: {schedule}\n",
        example("ddm-pitr-new.yaml")
    )
}

fn line_of(text: &str, needle: &str) -> u32 {
    let i = text.find(needle).expect("needle in text");
    u32::try_from(text[..i].matches('\n').count() + 1).expect("line")
}

#[test]
fn a_schedule_lowers_with_its_zone_and_window() {
    let text = with_schedule("{ cron: \"0 2 * * *\", time_zone: Europe/Berlin, window: 2h }");
    let c = compile_ok("d.yaml", &text);
    let s = c.spec.drills["nightly"]
        .schedule
        .clone()
        .expect("a schedule");
    assert_eq!(s.cron, "0 2 * * *");
    assert_eq!(s.time_zone, "Europe/Berlin");
    assert_eq!(s.window, Duration::from_secs(7200));

    let c = compile_ok("d.yaml", &with_schedule("{ cron: \"*/15 * * * *\" }"));
    let s = c.spec.drills["nightly"]
        .schedule
        .clone()
        .expect("a schedule");
    assert_eq!(
        (s.time_zone.as_str(), s.window),
        ("UTC", Duration::from_secs(3600))
    );
}

#[test]
fn a_bad_cron_zone_or_window_is_an_error_at_its_line() {
    for (schedule, needle, says) in [
        ("{ cron: \"0 25 * * *\" }", "\"0 25", "schedule.cron"),
        (
            "{ cron: \"0 2 * * *\", time_zone: Europe/Berlyn }",
            "Europe/Berlyn",
            "Europe/Berlyn",
        ),
        (
            "{ cron: \"0 2 * * *\", window: soon }",
            "soon",
            "schedule.window",
        ),
        ("{ time_zone: UTC }", "{ time_zone", "has no `cron`"),
        ("{ cron: \"0 2 * * *\", every: 1d }", "every", "every"),
    ] {
        let text = with_schedule(schedule);
        let r = compile_err("d.yaml", &text);
        let hit = r
            .diagnostics
            .iter()
            .find(|d| d.message.contains(says))
            .unwrap_or_else(|| panic!("{schedule}: no error saying {says:?}:\n{}", r.plain()));
        assert_eq!(
            hit.span.map(|s| s.line),
            Some(line_of(&text, needle)),
            "{schedule}: {}",
            r.plain()
        );
    }
}
