// Azure SQL logical server with Microsoft Entra-only authentication (no SQL logins, no password
// anywhere) and the advisor database. The app's identity gets its database user from
// infra/sql/grant-identity.sql: ARM cannot create users inside a database.

param serverName string
param databaseName string
param location string
param tags object

@description('Entra admin of the server: display/login name of the user or group.')
param adminLogin string

@description('Entra admin of the server: object id of that user or group.')
param adminObjectId string

@description('Entra admin principal type.')
@allowed(['User', 'Group', 'Application'])
param adminPrincipalType string

@description('Database SKU, e.g. { name: \'GP_S_Gen5\', tier: \'GeneralPurpose\', family: \'Gen5\', capacity: 2 }.')
param sku object

@description('Serverless only: minutes idle before auto-pause; -1 turns auto-pause off.')
param autoPauseDelayMinutes int

@description('Serverless only: minimum vCores, as a string (e.g. \'0.5\').')
param minCapacity string

@description('Maximum database size in GB.')
param maxSizeGb int

@description('Optional public IP allowed through the firewall (the operator running grant-identity.sql). Empty: none.')
param clientIpAddress string

var serverless = startsWith(sku.name, 'GP_S_')

resource server 'Microsoft.Sql/servers@2021-11-01' = {
  name: serverName
  location: location
  tags: tags
  properties: {
    version: '12.0'
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    administrators: {
      administratorType: 'ActiveDirectory'
      azureADOnlyAuthentication: true
      login: adminLogin
      sid: adminObjectId
      principalType: adminPrincipalType
      tenantId: subscription().tenantId
    }
  }
}

// 0.0.0.0–0.0.0.0 is Azure's convention for "allow Azure services": Flex Consumption has no
// fixed outbound addresses without a virtual network.
resource allowAzure 'Microsoft.Sql/servers/firewallRules@2021-11-01' = {
  parent: server
  name: 'AllowAllWindowsAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource allowOperator 'Microsoft.Sql/servers/firewallRules@2021-11-01' = if (!empty(clientIpAddress)) {
  parent: server
  name: 'operator'
  properties: {
    startIpAddress: clientIpAddress
    endIpAddress: clientIpAddress
  }
}

resource database 'Microsoft.Sql/servers/databases@2021-11-01' = {
  parent: server
  name: databaseName
  location: location
  tags: tags
  sku: sku
  properties: union(
    {
      collation: 'SQL_Latin1_General_CP1_CI_AS'
      maxSizeBytes: maxSizeGb * 1024 * 1024 * 1024
      zoneRedundant: false
    },
    serverless
      ? {
          autoPauseDelay: autoPauseDelayMinutes
          minCapacity: json(minCapacity)
        }
      : {}
  )
}

output serverName string = server.name
output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
