//! The README's world-file example parses, and a simulator starts with it.

use rewind_sim::{SimConfig, World};

#[tokio::test]
async fn the_readme_world_example_is_valid() {
    let readme = include_str!("../../README.md");
    let start = readme.find("```yaml\n").expect("README has a yaml block") + "```yaml\n".len();
    let end = start + readme[start..].find("```").expect("block ends");
    let world = World::from_yaml(&readme[start..end]).expect("README world parses");
    assert!(!world.rds.instances.is_empty());
    assert!(!world.faults.rules.is_empty());
    let sim = rewind_sim::start(SimConfig {
        time_scale: 0.0,
        world,
        ..SimConfig::default()
    })
    .await
    .expect("starts");
    sim.shutdown().await;
}

#[test]
fn the_test_fixture_matches_the_documented_defaults() {
    let fixture = World::from_yaml(include_str!("../fixtures/world.yaml")).expect("fixture parses");
    assert_eq!(fixture.credentials, World::healthy(0).credentials);
}
