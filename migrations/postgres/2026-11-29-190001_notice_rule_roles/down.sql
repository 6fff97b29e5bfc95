ALTER TABLE notice_rules DROP COLUMN notify_roles;
