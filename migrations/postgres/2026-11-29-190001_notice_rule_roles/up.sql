ALTER TABLE notice_rules ADD COLUMN notify_roles TEXT NOT NULL DEFAULT '';
