use super::*;
use crate::i18n::Words;
use crate::testing::SeededRandom;

#[test]
fn codes_are_six_decimal_digits_and_vary() {
    let random = SeededRandom::new(7);
    let codes: Vec<String> = (0..50)
        .map(|_| digits(&random, 6).unwrap_or_default())
        .collect();
    assert!(codes
        .iter()
        .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() > 45, "{distinct:?}");
}

#[test]
fn every_digit_is_drawn() {
    let random = SeededRandom::new(11);
    let all = digits(&random, 2000).unwrap_or_default();
    for d in '0'..='9' {
        let n = all.chars().filter(|&c| c == d).count();
        assert!((120..=280).contains(&n), "{d}: {n} of 2000");
    }
}

#[test]
fn messages_escape_what_clients_and_people_supplied() {
    let mut client = crate::testing::demo_client();
    client.name = "<script>alert(1)</script>".into();
    let mail = templates::sign_in("ada@example.com", &client, &Words::english(), "123456");
    assert!(!mail.html.contains("<script>"));
    assert!(mail.html.contains("&lt;script&gt;"));
    assert!(mail.text.contains("Your code: 123456"));
    let reset = templates::password_reset(
        "ada@example.com",
        &client,
        &Words::english(),
        "https://id.example/reset-password?token=a&b",
    );
    assert!(reset.html.contains("token=a&amp;b"));
    assert!(
        mail.subject.contains("<script>"),
        "the subject is plain text"
    );
}

#[test]
fn messages_wear_the_client_theme() {
    let mut client = crate::testing::demo_client();
    let plain = templates::password_reset(
        "ada@example.com",
        &client,
        &Words::english(),
        "https://id.example/r",
    );
    client.theme = portcullis_shared::theme::Theme::preset("playful").map(|mut theme| {
        theme.logo_url = Some("https://cdn.example/logo.png".into());
        theme
    });
    let branded = templates::password_reset(
        "ada@example.com",
        &client,
        &Words::english(),
        "https://id.example/r",
    );
    assert!(
        branded.html.contains("background:#7b2fd0"),
        "{}",
        branded.html
    );
    assert!(branded
        .html
        .contains("<img src=\"https://cdn.example/logo.png\" alt=\"Portcullis Demo\""));
    assert!(!plain.html.contains("<img"));
    assert_eq!(plain.text, branded.text, "the text part is the same");
}

#[test]
fn messages_are_in_the_person_s_language_with_their_direction() {
    let client = crate::testing::demo_client();
    let link = "https://id.example/r";
    let german = templates::password_reset("ada@example.com", &client, &Words::for_tag("de"), link);
    assert!(german
        .html
        .starts_with("<!doctype html><html lang=\"de\" dir=\"ltr\">"));
    let english = templates::password_reset("ada@example.com", &client, &Words::english(), link);
    assert_ne!(german.subject, english.subject);
    assert!(
        german.subject.contains("Portcullis Demo"),
        "{}",
        german.subject
    );
    let hebrew = templates::sign_in("ada@example.com", &client, &Words::for_tag("he"), "123456");
    assert!(hebrew.html.contains("dir=\"rtl\""));
    assert!(hebrew.text.contains("123456"));
}

/// The lifetimes are written into every language's messages: changing one means
/// rewording them all.
#[test]
fn messages_state_the_lifetimes_the_edge_enforces() {
    let english = Words::english();
    let code_minutes = format!("{} minutes", super::CODE_TTL_SECONDS / 60);
    for key in ["sign-in.lead", "verify.code-only", "page.expired-text"] {
        assert!(english.get(key).contains(&code_minutes), "{key}");
    }
    let reset_minutes = format!("{} minutes", super::RESET_TTL_SECONDS / 60);
    assert!(english.get("reset.hint").contains(&reset_minutes));
}
