ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';

CREATE TABLE notice_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (event, locale)
);

CREATE TABLE notice_template_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    replaced_by_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    replaced_by TEXT NOT NULL,
    replaced_at TIMESTAMP NOT NULL
);
CREATE INDEX notice_template_history_template ON notice_template_history (event, locale, replaced_at);

CREATE TABLE notice_rules (
    event TEXT PRIMARY KEY NOT NULL,
    enabled BOOLEAN NOT NULL,
    notify_owner BOOLEAN NOT NULL,
    extra_recipients TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);
