DROP TABLE credential_deliveries;
