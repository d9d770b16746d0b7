use super::*;

fn with_level(level: Level) -> Assessment {
    Assessment {
        level,
        reasons: vec![],
    }
}

#[test]
fn the_client_setting_decides_which_levels_are_challenged() {
    for (policy, challenged) in [
        (AdaptiveMfa::Never, [false, false, false]),
        (AdaptiveMfa::HighRisk, [false, false, true]),
        (AdaptiveMfa::Always, [true, true, true]),
    ] {
        let got = [Level::Low, Level::Medium, Level::High]
            .map(|level| requires_mfa(policy, &with_level(level)));
        assert_eq!(got, challenged, "{policy:?}");
    }
}
