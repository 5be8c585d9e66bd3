// Retail AI Advisor: everything one environment needs, in one resource group.
//
//   az group create -n <rg> -l <region>
//   az deployment group create -g <rg> -p infra/bicep/env/dev.bicepparam
//
// See README.md, "Deploy to Azure" for the whole path from an empty subscription.

targetScope = 'resourceGroup'

@description('Environment name: part of every resource name.')
@allowed(['dev', 'prod'])
param environmentName string

@description('Short workload name: part of every resource name (9 characters at most keeps the Key Vault name within 24).')
@minLength(3)
@maxLength(9)
param workloadName string = 'advisor'

@description('Region for every resource. Must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

param tags object = {}

// --- Function app -------------------------------------------------------------------------

@description('Custom handler runtime version as the Flex Consumption stack catalog spells it (custom handlers: 1.0). A value outside the catalog is accepted by ARM but the host never starts.')
param functionRuntimeVersion string = '1.0'

@description('Flex Consumption instance memory in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Flex Consumption scale-out ceiling.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Always-ready instances. All HTTP-triggered functions (Health, Products, …) share the \'http\' scale group, so one { name: \'http\' } entry keeps them warm; non-HTTP functions take \'function:<Name>\'. Billed while idle.')
param alwaysReady alwaysReadyEntry[] = []

// --- Storage ------------------------------------------------------------------------------

@description('Storage replication SKU.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param storageSku string = 'Standard_LRS'

@description('Blob lifecycle day counts (days since last modification).')
param blobLifecycle lifecycleDays = {
  ingestCoolAfterDays: 30
  ingestDeleteAfterDays: 365
  ingestReportsDeleteAfterDays: 180
  videoFramesCoolAfterDays: 30
  deadLetterDeleteAfterDays: 30
}

// --- Service Bus --------------------------------------------------------------------------

@description('Time to live of a queued message before it is dead-lettered (ISO 8601).')
param messageTimeToLive string = 'P14D'

// --- Azure SQL ----------------------------------------------------------------------------

@description('Entra admin of the SQL server: login / display name of a user or group.')
param sqlAdminLogin string

@description('Entra admin of the SQL server: its object id.')
param sqlAdminObjectId string

@allowed(['User', 'Group', 'Application'])
param sqlAdminPrincipalType string = 'User'

@description('Database SKU. Serverless General Purpose: GP_S_Gen5; provisioned: e.g. GP_Gen5.')
param sqlSku object = {
  name: 'GP_S_Gen5'
  tier: 'GeneralPurpose'
  family: 'Gen5'
  capacity: 2
}

@description('Serverless only: idle minutes before auto-pause (minimum 15 in Azure; -1 = never pause).')
param sqlAutoPauseDelayMinutes int = 60

@description('Serverless only: minimum vCores.')
param sqlMinCapacity string = '0.5'

param sqlMaxSizeGb int = 32

@description('Public IP of the operator who runs infra/sql/grant-identity.sql; empty adds no rule.')
param sqlClientIpAddress string = ''

// --- Key Vault ----------------------------------------------------------------------------

@description('Purge protection on the vault (cannot be turned off once on).')
param keyVaultPurgeProtection bool = false

@secure()
@description('OpenAI / Azure OpenAI API key; empty leaves the secret as it is.')
param openAiApiKey string = ''

// --- AI enrichment -----------------------------------------------------------------------

@description('Which engine enriches products. openai and azure-openai need the settings below; the key goes in openAiApiKey.')
@allowed(['offline', 'openai', 'azure-openai'])
param aiEngine string = 'offline'
@description('OpenAI-compatible API base (vLLM, a proxy); empty means OpenAI itself.')
param openAiBaseUrl string = ''
param openAiModel string = 'gpt-4o-mini'
@description('Azure OpenAI resource endpoint. Grant the app identity "Cognitive Services OpenAI User" on that resource unless azureOpenAiUseKey.')
param azureOpenAiEndpoint string = ''
param azureOpenAiDeployment string = ''
param azureOpenAiApiVersion string = '2024-10-21'
param azureOpenAiUseKey bool = false
@description('Tokens one tenant may spend on enrichment per UTC day.')
@minValue(1)
param aiDailyTokens int = 2000000
@minValue(1)
param aiConcurrency int = 4
@minValue(1)
param aiTimeoutSeconds int = 60
@minValue(0)
@maxValue(10)
param aiMaxRetries int = 4

@description('Browser origins allowed to call the API, comma-separated (https://shop.example.com), or * for any. Empty refuses every cross-origin call. The handler answers CORS itself; leave the platform CORS setting empty.')
param corsOrigins string = ''
// --- Callers: Bearer JWTs (Entra ID) and rate limits ----------------------------------------

@description('JWKS of the identity provider, e.g. https://login.microsoftonline.com/<directory>/discovery/v2.0/keys. Empty (with issuer and audience) leaves only API keys.')
param jwtJwksUrl string = ''
@description('The iss tokens carry, e.g. https://login.microsoftonline.com/<directory>/v2.0.')
param jwtIssuer string = ''
@description('The aud tokens carry: the API app registration\'s application id URI or client id.')
param jwtAudience string = ''
@description('The claim naming the caller\'s tenant in this service.')
param jwtTenantClaim string = 'tenant'
@description('The claim carrying the app roles user and admin.')
param jwtRolesClaim string = 'roles'
@description('Requests per second per tenant, per instance; 0 turns the limit off.')
@minValue(0)
param rateLimitTenantPerSecond int = 50
@minValue(0)
param rateLimitTenantBurst int = 100
@description('Requests per second per API key or token subject, per instance; 0 turns the limit off.')
@minValue(0)
param rateLimitKeyPerSecond int = 20
@minValue(0)
param rateLimitKeyBurst int = 40

@secure()
@description('Key that encrypts stored platform credentials; empty leaves the secret as it is. Set it once, never change it casually: stored credentials become unreadable.')
param credentialsEncryptionKey string = ''

// --- Monitoring ---------------------------------------------------------------------------

param logRetentionInDays int = 30

type alwaysReadyEntry = {
  @description('\'http\' for the HTTP group, or \'function:<Name>\'.')
  name: string
  @minValue(0)
  instanceCount: int
}

type lifecycleDays = {
  ingestCoolAfterDays: int
  ingestDeleteAfterDays: int
  ingestReportsDeleteAfterDays: int
  videoFramesCoolAfterDays: int
  deadLetterDeleteAfterDays: int
}

// Globally unique names get a stable suffix derived from the resource group.
var suffix = take(uniqueString(subscription().id, resourceGroup().id), 6)
var base = '${workloadName}-${environmentName}'
var allTags = union(tags, { workload: workloadName, environment: environmentName })

var deploymentContainerName = 'app-package'
var eventGridDeadLetterContainerName = 'eventgrid-deadletter'
var queueNames = ['enrich', 'sync', 'ingest-files', 'video-files']
var blobRoutes = [
  { container: 'ingest', queue: 'ingest-files' }
  { container: 'videos', queue: 'video-files' }
]

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${base}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${base}'
    appInsightsName: 'appi-${base}'
    location: location
    tags: allTags
    retentionInDays: logRetentionInDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: toLower('st${replace(workloadName, '-', '')}${environmentName}${suffix}')
    location: location
    tags: allTags
    skuName: storageSku
    deploymentContainerName: deploymentContainerName
    eventGridDeadLetterContainerName: eventGridDeadLetterContainerName
    lifecycle: blobLifecycle
  }
}

module serviceBus 'modules/serviceBus.bicep' = {
  name: 'serviceBus'
  params: {
    name: 'sb-${base}-${suffix}'
    location: location
    tags: allTags
    queueNames: queueNames
    messageTimeToLive: messageTimeToLive
  }
}

module eventGrid 'modules/eventGrid.bicep' = {
  name: 'eventGrid'
  params: {
    name: 'evgt-${base}-storage'
    location: location
    tags: allTags
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    routes: blobRoutes
    deadLetterContainerName: eventGridDeadLetterContainerName
  }
}

module sql 'modules/sql.bicep' = {
  name: 'sql'
  params: {
    serverName: 'sql-${base}-${suffix}'
    databaseName: workloadName
    location: location
    tags: allTags
    adminLogin: sqlAdminLogin
    adminObjectId: sqlAdminObjectId
    adminPrincipalType: sqlAdminPrincipalType
    sku: sqlSku
    autoPauseDelayMinutes: sqlAutoPauseDelayMinutes
    minCapacity: sqlMinCapacity
    maxSizeGb: sqlMaxSizeGb
    clientIpAddress: sqlClientIpAddress
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    name: 'kv-${base}-${suffix}'
    location: location
    tags: allTags
    enablePurgeProtection: keyVaultPurgeProtection
    openAiApiKey: openAiApiKey
    credentialsEncryptionKey: credentialsEncryptionKey
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    planName: 'plan-${base}'
    appName: 'func-${base}-${suffix}'
    location: location
    tags: allTags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    sqlServerFullyQualifiedDomainName: sql.outputs.fullyQualifiedDomainName
    sqlDatabaseName: sql.outputs.databaseName
    appInsightsName: monitoring.outputs.appInsightsName
    openAiApiKeySecretUri: keyVault.outputs.openAiApiKeySecretUri
    aiEngine: aiEngine
    openAiBaseUrl: openAiBaseUrl
    openAiModel: openAiModel
    azureOpenAiEndpoint: azureOpenAiEndpoint
    azureOpenAiDeployment: azureOpenAiDeployment
    azureOpenAiApiVersion: azureOpenAiApiVersion
    azureOpenAiUseKey: azureOpenAiUseKey
    aiDailyTokens: aiDailyTokens
    aiConcurrency: aiConcurrency
    aiTimeoutSeconds: aiTimeoutSeconds
    aiMaxRetries: aiMaxRetries
    corsOrigins: corsOrigins
    jwtJwksUrl: jwtJwksUrl
    jwtIssuer: jwtIssuer
    jwtAudience: jwtAudience
    jwtTenantClaim: jwtTenantClaim
    jwtRolesClaim: jwtRolesClaim
    rateLimitTenantPerSecond: rateLimitTenantPerSecond
    rateLimitTenantBurst: rateLimitTenantBurst
    rateLimitKeyPerSecond: rateLimitKeyPerSecond
    rateLimitKeyBurst: rateLimitKeyBurst
    credentialsEncryptionKeySecretUri: keyVault.outputs.credentialsEncryptionKeySecretUri
    runtimeVersion: functionRuntimeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReady: alwaysReady
  }
  // The host must find its storage, queues and secrets granted on first start.
  dependsOn: [roles]
}

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output healthUrl string = 'https://${functionApp.outputs.defaultHostName}/api/health'
output storageAccountName string = storage.outputs.name
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output serviceBusNamespaceName string = serviceBus.outputs.name
output sqlServerFqdn string = sql.outputs.fullyQualifiedDomainName
output sqlDatabaseName string = sql.outputs.databaseName
output keyVaultName string = keyVault.outputs.name
output resourceGroupName string = resourceGroup().name
output appInsightsName string = monitoring.outputs.appInsightsName
output logAnalyticsWorkspaceName string = monitoring.outputs.logAnalyticsName
output identityName string = identity.outputs.name
output identityClientId string = identity.outputs.clientId
