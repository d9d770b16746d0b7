-- A client's brand theme, served with its public configuration: a preset name
-- (`neutral`, `high-contrast`, `playful`, `midnight`) or a theme as JSON (see
-- shared/src/theme.rs). NULL: the widget's own default look.
ALTER TABLE clients ADD COLUMN theme TEXT;
