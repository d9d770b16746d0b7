//! SCIM filters (RFC 7644 §3.4.2.2): parsed into a typed tree, then compiled to a
//! parameterised SQL condition. No part of the filter's text is ever pasted into SQL:
//! attribute names become fixed column expressions chosen from a closed set (an
//! [`Attribute`] type), and every value becomes a bound parameter. The System Log API
//! reads its `filter` (Okta's, the same syntax) with the same parser.
//!
//! Supported: the operators `eq ne co sw ew gt ge lt le pr`, `and`, `or`, `not (…)`
//! and parentheses, `and` binding tighter than `or`; for users, the attributes of
//! [`UserAttribute`] (case-insensitive, with or without the core schema's URN).

use crate::time::parse_rfc3339;
use crate::time::UnixMillis;

/// The longest filter read; beyond, `invalidFilter` (the filter is a query string).
pub const MAX_FILTER_LEN: usize = 2048;
/// The deepest nesting of `and`/`or`/`not`/parentheses read.
const MAX_DEPTH: usize = 16;

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:user:";

/// The attributes one kind of resource can be filtered on.
pub trait Attribute: Copy + PartialEq + std::fmt::Debug {
    /// The attribute a filter's path names, if it can be filtered on.
    fn named(path: &str) -> Option<Self>;
    /// What its values are.
    fn kind(self) -> Kind;
}

/// An attribute of a User that filters may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAttribute {
    Id,
    ExternalId,
    /// `userName` and `emails` / `emails.value`: one address per person here.
    UserName,
    Email,
    /// `displayName` and `name.formatted`: one name here.
    DisplayName,
    GivenName,
    FamilyName,
    Active,
    Created,
    LastModified,
}

impl Attribute for UserAttribute {
    /// RFC 7643 §2.1: attribute names are case-insensitive.
    fn named(path: &str) -> Option<UserAttribute> {
        let lower = path.to_ascii_lowercase();
        let name = lower.strip_prefix(USER_URN).unwrap_or(&lower);
        Some(match name {
            "id" => UserAttribute::Id,
            "externalid" => UserAttribute::ExternalId,
            "username" => UserAttribute::UserName,
            "emails" | "emails.value" => UserAttribute::Email,
            "displayname" | "name.formatted" => UserAttribute::DisplayName,
            "name.givenname" => UserAttribute::GivenName,
            "name.familyname" => UserAttribute::FamilyName,
            "active" => UserAttribute::Active,
            "meta.created" => UserAttribute::Created,
            "meta.lastmodified" => UserAttribute::LastModified,
            _ => return None,
        })
    }

    fn kind(self) -> Kind {
        match self {
            UserAttribute::Active => Kind::Boolean,
            UserAttribute::Created | UserAttribute::LastModified => Kind::DateTime,
            _ => Kind::Text,
        }
    }
}

/// What an attribute's values are, and so which values and operators it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Boolean,
    DateTime,
}

/// RFC 7644 §3.4.2.2 comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn named(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }
}

/// A comparison value, typed by the attribute it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Boolean(bool),
    Instant(UnixMillis),
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter<A> {
    Present(A),
    Compare(A, Op, Value),
    And(Box<Filter<A>>, Box<Filter<A>>),
    Or(Box<Filter<A>>, Box<Filter<A>>),
    Not(Box<Filter<A>>),
}

/// A filter on users.
pub type UserFilter = Filter<UserAttribute>;

/// Why a filter was refused (RFC 7644 §3.12 `invalidFilter`); said to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidFilter(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
}

fn tokens(input: &str) -> Result<Vec<Token>, InvalidFilter> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                // RFC 8259 §7 string escapes, as SCIM values are JSON strings.
                loop {
                    match chars.next() {
                        None => return Err(InvalidFilter("A string is not closed.".into())),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('"') => text.push('"'),
                            Some('\\') => text.push('\\'),
                            Some('/') => text.push('/'),
                            Some('n') => text.push('\n'),
                            Some('t') => text.push('\t'),
                            _ => {
                                return Err(InvalidFilter(
                                    "A string holds an unknown escape.".into(),
                                ))
                            }
                        },
                        Some(other) => text.push(other),
                    }
                }
                out.push(Token::Text(text));
            }
            '[' | ']' => {
                return Err(InvalidFilter(
                    "Value filters (`attr[…]`) are not supported; name the sub-attribute.".into(),
                ))
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if matches!(c, ' ' | '\t' | '(' | ')' | '"' | '[' | ']') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

struct Parser<A> {
    tokens: Vec<Token>,
    at: usize,
    attribute: std::marker::PhantomData<A>,
}

impl<A: Attribute> Parser<A> {
    fn peek_word(&self) -> Option<String> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or(&mut self, depth: usize) -> Result<Filter<A>, InvalidFilter> {
        let mut left = self.and(depth)?;
        while self.peek_word().as_deref() == Some("or") {
            self.at += 1;
            let right = self.and(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Filter<A>, InvalidFilter> {
        let mut left = self.unary(depth)?;
        while self.peek_word().as_deref() == Some("and") {
            self.at += 1;
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter<A>, InvalidFilter> {
        if depth >= MAX_DEPTH {
            return Err(InvalidFilter("The filter is nested too deeply.".into()));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or(depth + 1)?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err(InvalidFilter("A parenthesis is not closed.".into())),
                }
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("not") => {
                match self.next() {
                    Some(Token::Open) => {}
                    _ => return Err(InvalidFilter("`not` takes a filter in parentheses.".into())),
                }
                let inner = self.or(depth + 1)?;
                match self.next() {
                    Some(Token::Close) => Ok(Filter::Not(Box::new(inner))),
                    _ => Err(InvalidFilter("A parenthesis is not closed.".into())),
                }
            }
            Some(Token::Word(path)) => self.comparison(&path),
            _ => Err(InvalidFilter("An attribute was expected.".into())),
        }
    }

    fn comparison(&mut self, path: &str) -> Result<Filter<A>, InvalidFilter> {
        let attribute = A::named(path).ok_or_else(|| {
            InvalidFilter(format!("The attribute {path:?} cannot be filtered on."))
        })?;
        let op = match self.next() {
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("pr") => {
                return Ok(Filter::Present(attribute))
            }
            Some(Token::Word(word)) => Op::named(&word)
                .ok_or_else(|| InvalidFilter(format!("Unknown operator {word:?}.")))?,
            _ => return Err(InvalidFilter("An operator was expected.".into())),
        };
        let value = match (self.next(), attribute.kind()) {
            (Some(Token::Text(text)), Kind::Text) => Value::Text(text),
            (Some(Token::Text(text)), Kind::DateTime) => {
                Value::Instant(parse_rfc3339(&text).ok_or_else(|| {
                    InvalidFilter(format!("{path} is compared with an RFC 3339 date-time."))
                })?)
            }
            (Some(Token::Word(word)), Kind::Boolean) if word == "true" || word == "false" => {
                Value::Boolean(word == "true")
            }
            _ => {
                return Err(InvalidFilter(format!(
                    "{path} cannot be compared with that value."
                )))
            }
        };
        let allowed = match attribute.kind() {
            Kind::Text => true,
            Kind::Boolean => matches!(op, Op::Eq | Op::Ne),
            Kind::DateTime => matches!(op, Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le),
        };
        if !allowed {
            return Err(InvalidFilter(format!(
                "{path} does not take that operator."
            )));
        }
        Ok(Filter::Compare(attribute, op, value))
    }
}

/// Parses a SCIM filter on the attributes of `A`.
pub fn parse<A: Attribute>(input: &str) -> Result<Filter<A>, InvalidFilter> {
    if input.len() > MAX_FILTER_LEN {
        return Err(InvalidFilter("The filter is too long.".into()));
    }
    let mut parser = Parser {
        tokens: tokens(input)?,
        at: 0,
        attribute: std::marker::PhantomData,
    };
    let filter = parser.or(0)?;
    if parser.at != parser.tokens.len() {
        return Err(InvalidFilter(
            "The filter goes on after a complete expression.".into(),
        ));
    }
    Ok(filter)
}

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(String),
    Integer(u64),
}

/// A SQL condition on the `users` table with its `?` parameters, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

/// `LIKE` pattern of `text` with `%`, `_` and the escape character escaped.
pub fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The filter as a SQL condition on `users` (see the module documentation).
pub fn compile(filter: &UserFilter) -> Condition {
    let mut params = Vec::new();
    let sql = condition(filter, &mut params);
    Condition { sql, params }
}

fn condition(filter: &UserFilter, params: &mut Vec<SqlValue>) -> String {
    match filter {
        Filter::And(a, b) => format!("({} AND {})", condition(a, params), condition(b, params)),
        Filter::Or(a, b) => format!("({} OR {})", condition(a, params), condition(b, params)),
        Filter::Not(inner) => format!("(NOT COALESCE({}, 0))", condition(inner, params)),
        Filter::Present(attribute) => match column(*attribute) {
            Some(column) => format!("({column} IS NOT NULL AND {column} <> '')"),
            // Always present.
            None => "1".into(),
        },
        Filter::Compare(attribute, op, value) => compare(*attribute, *op, value, params),
    }
}

/// The text column of a text attribute; `None` for those held otherwise (`active`,
/// dates) or always present.
fn column(attribute: UserAttribute) -> Option<&'static str> {
    match attribute {
        UserAttribute::ExternalId => Some("external_id"),
        UserAttribute::DisplayName => Some("name"),
        UserAttribute::GivenName => Some("given_name"),
        UserAttribute::FamilyName => Some("family_name"),
        _ => None,
    }
}

fn compare(attribute: UserAttribute, op: Op, value: &Value, params: &mut Vec<SqlValue>) -> String {
    match (attribute, value) {
        (UserAttribute::Active, Value::Boolean(wanted)) => {
            let active = *wanted == (op == Op::Eq);
            if active {
                "(status = 'active')".into()
            } else {
                "(status <> 'active')".into()
            }
        }
        (UserAttribute::Created | UserAttribute::LastModified, Value::Instant(at)) => {
            let column = if attribute == UserAttribute::Created {
                "created_at"
            } else {
                "updated_at"
            };
            params.push(SqlValue::Integer(at.0));
            let sign = match op {
                Op::Ne => "<>",
                Op::Gt => ">",
                Op::Ge => ">=",
                Op::Lt => "<",
                Op::Le => "<=",
                _ => "=",
            };
            format!("({column} {sign} ?)")
        }
        (_, Value::Text(text)) => {
            // RFC 7643 §4.1.1: `id` is case-exact; userName, emails and names are not.
            // Addresses are stored lower case (normalised), so they are compared so.
            // `externalId` is case-exact too (RFC 7643 §3.1), which lets it read its index.
            let (column, case_exact, text) = match attribute {
                UserAttribute::Id => ("id", true, text.clone()),
                UserAttribute::ExternalId => ("external_id", true, text.clone()),
                UserAttribute::UserName | UserAttribute::Email => {
                    ("email", true, text.to_lowercase())
                }
                other => (column(other).unwrap_or("name"), false, text.clone()),
            };
            let collate = if case_exact { "" } else { " COLLATE NOCASE" };
            let like = |pattern: String, params: &mut Vec<SqlValue>| {
                params.push(SqlValue::Text(pattern));
                // LIKE is ASCII case-insensitive in SQLite; case-exact columns compare with
                // GLOB-free LIKE only where they are stored in one case already.
                format!("({column} LIKE ? ESCAPE '\\')")
            };
            match op {
                Op::Co => like(format!("%{}%", like_escaped(&text)), params),
                // A prefix is a range of the column's index: [prefix, the prefix with its
                // last character one higher). Case-exact columns hold one case already;
                // the others compare (and are indexed) without regard to ASCII case, as
                // LIKE does.
                Op::Sw if attribute != UserAttribute::Id => {
                    // NOCASE compares ASCII folded to lower case: so are the bounds.
                    let text = if case_exact {
                        text
                    } else {
                        text.to_ascii_lowercase()
                    };
                    match prefix_end(&text) {
                        Some(end) => {
                            params.push(SqlValue::Text(text));
                            params.push(SqlValue::Text(end));
                            format!("({column} >= ?{collate} AND {column} < ?{collate})")
                        }
                        None => like(format!("{}%", like_escaped(&text)), params),
                    }
                }
                Op::Sw => like(format!("{}%", like_escaped(&text)), params),
                Op::Ew => like(format!("%{}", like_escaped(&text)), params),
                Op::Ne => {
                    params.push(SqlValue::Text(text));
                    format!("({column} IS NULL OR {column} <> ?{collate})")
                }
                _ => {
                    params.push(SqlValue::Text(text));
                    let sign = match op {
                        Op::Gt => ">",
                        Op::Ge => ">=",
                        Op::Lt => "<",
                        Op::Le => "<=",
                        _ => "=",
                    };
                    format!("({column} {sign} ?{collate})")
                }
            }
        }
        // The parser pairs each attribute with a value of its kind.
        _ => "0".into(),
    }
}

/// The least string above every string that starts with `prefix`: `prefix` with its last
/// character one code point higher (UTF-8 keeps code point order). `None` for an empty
/// prefix, or a last character with nothing above it.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Result<UserFilter, InvalidFilter> {
        super::parse(input)
    }

    fn text(s: &str) -> SqlValue {
        SqlValue::Text(s.into())
    }

    #[test]
    fn rfc7644_3_4_2_2_operators_and_precedence() {
        let parsed =
            parse(r#"userName eq "a@x.io" or name.givenName sw "B" and active eq true"#).unwrap();
        assert_eq!(
            parsed,
            Filter::Or(
                Box::new(Filter::Compare(
                    UserAttribute::UserName,
                    Op::Eq,
                    Value::Text("a@x.io".into())
                )),
                Box::new(Filter::And(
                    Box::new(Filter::Compare(
                        UserAttribute::GivenName,
                        Op::Sw,
                        Value::Text("B".into())
                    )),
                    Box::new(Filter::Compare(
                        UserAttribute::Active,
                        Op::Eq,
                        Value::Boolean(true)
                    ))
                ))
            )
        );
        assert_eq!(
            parse("(emails pr) AND NOT (displayName co \"x\")").unwrap(),
            Filter::And(
                Box::new(Filter::Present(UserAttribute::Email)),
                Box::new(Filter::Not(Box::new(Filter::Compare(
                    UserAttribute::DisplayName,
                    Op::Co,
                    Value::Text("x".into())
                ))))
            )
        );
        assert_eq!(
            parse("urn:ietf:params:scim:schemas:core:2.0:User:userName Eq \"A\"").unwrap(),
            Filter::Compare(UserAttribute::UserName, Op::Eq, Value::Text("A".into()))
        );
        assert_eq!(
            parse(r#"meta.lastModified gt "2026-01-01T00:00:00Z""#).unwrap(),
            Filter::Compare(
                UserAttribute::LastModified,
                Op::Gt,
                Value::Instant(UnixMillis(1_767_225_600_000))
            )
        );
    }

    #[test]
    fn rfc7644_3_12_invalid_filters_are_refused_with_a_reason() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName eq a",
            "password eq \"x\"",
            "nickName eq \"x\"",
            "userName xx \"x\"",
            "active eq \"true\"",
            "active co true",
            "meta.lastModified gt \"yesterday\"",
            "meta.created co \"2026\"",
            "userName eq \"x",
            "(userName pr",
            "userName pr userName pr",
            "emails[type eq \"work\"]",
            "userName eq \"x\" or",
            "not userName pr",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}userName pr{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).is_err());
        assert!(parse(&"userName pr and ".repeat(300)).is_err());
    }

    #[test]
    fn filter_injection_values_are_bound_never_spliced() {
        let hostile = r#"x' OR '1'='1"; DROP TABLE users; --"#;
        let filter = format!(
            "userName eq \"{}\" or name.familyName co \"{}\"",
            hostile.replace('"', "\\\""),
            hostile.replace('"', "\\\"")
        );
        let compiled = compile(&parse(&filter).unwrap());
        assert!(!compiled.sql.contains("DROP"), "{}", compiled.sql);
        assert!(!compiled.sql.contains("'1'"), "{}", compiled.sql);
        assert_eq!(
            compiled.sql,
            "((email = ?) OR (family_name LIKE ? ESCAPE '\\'))"
        );
        assert_eq!(
            compiled.params,
            vec![
                text(&hostile.to_lowercase()),
                text(&format!("%{}%", hostile))
            ]
        );
    }

    #[test]
    fn like_wildcards_in_values_match_themselves() {
        let compiled = compile(&parse(r#"displayName co "50%_off\\""#).unwrap());
        assert_eq!(compiled.params, vec![text("%50\\%\\_off\\\\%")]);
        // A prefix is a range, where `%` and `_` are plain characters.
        let compiled = compile(&parse(r#"displayName sw "50%_off\\""#).unwrap());
        assert_eq!(
            compiled.sql,
            "(name >= ? COLLATE NOCASE AND name < ? COLLATE NOCASE)"
        );
        assert_eq!(compiled.params, vec![text("50%_off\\"), text("50%_off]")]);
    }

    #[test]
    fn each_attribute_compiles_to_its_column() {
        let sql = |f: &str| compile(&parse(f).unwrap());
        assert_eq!(sql("active eq false").sql, "(status <> 'active')");
        assert_eq!(sql("active ne false").sql, "(status = 'active')");
        assert_eq!(sql("id eq \"AbC\"").params, vec![text("AbC")]);
        assert_eq!(
            sql("emails.value eq \"A@X.io\"").params,
            vec![text("a@x.io")]
        );
        assert_eq!(
            sql("name.formatted eq \"Ada\"").sql,
            "(name = ? COLLATE NOCASE)"
        );
        assert_eq!(
            sql("externalId pr").sql,
            "(external_id IS NOT NULL AND external_id <> '')"
        );
        assert_eq!(sql("userName pr").sql, "1");
        let dated = sql("meta.created le \"2026-01-01T00:00:00Z\"");
        assert_eq!(dated.sql, "(created_at <= ?)");
        assert_eq!(dated.params, vec![SqlValue::Integer(1_767_225_600_000)]);
    }
}
