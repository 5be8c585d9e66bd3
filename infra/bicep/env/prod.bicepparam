// Production: one always-ready instance for the HTTP functions (Health, Products, … share the
// 'http' scale group), zone-redundant storage, SQL that never pauses, purge-protected vault.
using '../main.bicep'

param environmentName = 'prod'
param workloadName = 'advisor'

param instanceMemoryMB = 2048
param maximumInstanceCount = 100
param alwaysReady = [
  { name: 'http', instanceCount: 1 }
]

param storageSku = 'Standard_ZRS'
param blobLifecycle = {
  ingestCoolAfterDays: 30
  ingestDeleteAfterDays: 365
  ingestReportsDeleteAfterDays: 180
  videoFramesCoolAfterDays: 30
  deadLetterDeleteAfterDays: 90
}
param messageTimeToLive = 'P14D'

param sqlAdminLogin = readEnvironmentVariable('ADVISOR_SQL_ADMIN_LOGIN', '')
param sqlAdminObjectId = readEnvironmentVariable('ADVISOR_SQL_ADMIN_OBJECT_ID', '')
param sqlAdminPrincipalType = readEnvironmentVariable('ADVISOR_SQL_ADMIN_TYPE', 'Group')
param sqlSku = {
  name: 'GP_S_Gen5'
  tier: 'GeneralPurpose'
  family: 'Gen5'
  capacity: 4
}
param sqlAutoPauseDelayMinutes = -1
param sqlMinCapacity = '1'
param sqlMaxSizeGb = 100
param sqlClientIpAddress = readEnvironmentVariable('ADVISOR_SQL_CLIENT_IP', '')

param keyVaultPurgeProtection = true
param openAiApiKey = readEnvironmentVariable('ADVISOR_OPENAI_API_KEY', '')
param credentialsEncryptionKey = readEnvironmentVariable('ADVISOR_CREDENTIALS_KEY', '')

param logRetentionInDays = 90
