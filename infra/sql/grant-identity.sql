-- Gives the function app's user-assigned managed identity its user in the advisor database.
-- ARM/Bicep cannot create database users, so an Entra admin of the server runs this once per
-- environment (again is harmless):
--
--   sqlcmd -S <sqlServerFqdn> -d <sqlDatabaseName> --authentication-method ActiveDirectoryDefault \
--     -v IDENTITY_NAME=<identityName> -i infra/sql/grant-identity.sql
--
-- <sqlServerFqdn>, <sqlDatabaseName> and <identityName> are outputs of the Bicep deployment
-- (sqlServerFqdn, sqlDatabaseName, identityName). The caller must be the server's Entra admin
-- (or a member of the admin group) and its IP must pass the server firewall (deployment
-- parameter sqlClientIpAddress).
--
-- FROM EXTERNAL PROVIDER looks the name up in Entra ID. If the session is a service principal
-- (e.g. a CI identity), the server itself then needs the Directory Readers role; instead,
-- create the user from the identity's client id, which needs no directory lookup:
--   CREATE USER [<identityName>] WITH SID = <client id as binary(16)>, TYPE = E;
-- (SID = CAST(CAST('<clientId>' AS uniqueidentifier) AS varbinary(16))).
--
-- Roles: read and write data, and db_ddladmin because the app applies its own migrations at
-- start-up (advisor migrate). Nothing server-wide.

SET NOCOUNT ON;

IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(IDENTITY_NAME)')
BEGIN
    CREATE USER [$(IDENTITY_NAME)] FROM EXTERNAL PROVIDER;
END;

ALTER ROLE db_datareader ADD MEMBER [$(IDENTITY_NAME)];
ALTER ROLE db_datawriter ADD MEMBER [$(IDENTITY_NAME)];
ALTER ROLE db_ddladmin ADD MEMBER [$(IDENTITY_NAME)];

SELECT p.name AS principal, r.name AS role
FROM sys.database_role_members m
JOIN sys.database_principals p ON p.principal_id = m.member_principal_id
JOIN sys.database_principals r ON r.principal_id = m.role_principal_id
WHERE p.name = N'$(IDENTITY_NAME)';
