DROP TABLE notice_rules;
DROP TABLE notice_template_history;
DROP TABLE notice_templates;
ALTER TABLE users DROP COLUMN locale;
