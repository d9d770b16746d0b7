use super::*;
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
    let mail = templates::sign_in(
        "ada@example.com",
        &client,
        "123456",
        "https://id.example/email-link?token=a&b",
    );
    assert!(!mail.html.contains("<script>"));
    assert!(mail.html.contains("&lt;script&gt;"));
    assert!(mail.html.contains("token=a&amp;b"));
    assert!(mail.text.contains("Your code: 123456"));
    assert!(
        mail.subject.contains("<script>"),
        "the subject is plain text"
    );
}

#[test]
fn messages_wear_the_client_theme() {
    let mut client = crate::testing::demo_client();
    let plain = templates::password_reset("ada@example.com", &client, "https://id.example/r");
    client.theme = portcullis_shared::theme::Theme::preset("playful").map(|mut theme| {
        theme.logo_url = Some("https://cdn.example/logo.png".into());
        theme
    });
    let branded = templates::password_reset("ada@example.com", &client, "https://id.example/r");
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
