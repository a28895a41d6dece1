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

#[test]
fn notify_takes_a_secret_url_and_a_known_format() {
    use rewind_engine::drill::notify::{NotifyFormat, NotifyUrl};
    let base = example("ddm-pitr-new.yaml")
        .replace("secrets:\n", "secrets:\n  hook: { env: DRILL_HOOK }\n");
    let text = format!(
        "{base}drills:\n  nightly:\n    scratch: [\"${{var.target_ddm}}\"]\n    notify: {{ url: \"${{secrets.hook}}\", format: teams, when: always }}\n"
    );
    let c = compile_ok("d.yaml", &text);
    let n = c.spec.drills["nightly"].notify.clone().expect("notify");
    assert!(
        matches!(n.url, NotifyUrl::Secret(ref r) if r.name == "secrets.hook"),
        "{n:?}"
    );
    assert_eq!((n.format, n.always), (NotifyFormat::Teams, true));

    for (notify, needle, says) in [
        (
            "{ url: \"https://x.example/h\", format: slak }",
            "slak",
            "did you mean `slack`",
        ),
        (
            "{ url: \"https://x.example/h\", when: sometimes }",
            "sometimes",
            "not `failure` or `always`",
        ),
        ("{ url: hooks }", "hooks", "is not a URL"),
    ] {
        let text = format!(
            "{base}drills:\n  nightly:\n    scratch: [\"${{var.target_ddm}}\"]\n    notify: {notify}\n"
        );
        let r = compile_err("d.yaml", &text);
        let hit = r
            .diagnostics
            .iter()
            .find(|d| {
                d.message.contains(says) || d.hint.as_deref().is_some_and(|h| h.contains(says))
            })
            .unwrap_or_else(|| panic!("{notify}: no {says:?}:\n{}", r.plain()));
        assert_eq!(
            hit.span.map(|s| s.line),
            Some(line_of(&text, needle)),
            "{}",
            r.plain()
        );
    }
}
